"""Deployments: creation (eligibility, capital, credentials), reads and the lifecycle."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vt_contracts import StrategySpec
from vt_contracts.backtest import SummaryStats, WalkForwardReport
from vt_contracts.trading import (
    Deployment,
    DeploymentCreate,
    GateEvaluation,
    InstrumentMapping,
    PnL,
    PnLPoint,
    ReplayState,
    TargetLine,
    TargetSnapshot,
)
from vt_db.trading_models import (
    DeploymentRow,
    FillRow,
    OrderRow,
    PnLMarkRow,
    ReplayClockRow,
    TargetSnapshotRow,
)
from vt_engine import gates
from vt_kit.problems import Conflict, NotFound, Unprocessable
from vt_trading import audit
from vt_trading.accounts import service as accounts
from vt_trading.context import TradingContext
from vt_trading.deployments import repository as repo
from vt_trading.ids import parse_id
from vt_trading.pagination import paginate, parse_sort
from vt_trading.trading import equity as equity_mod
from vt_trading.trading import risk as risk_mod

TRANSITIONS: dict[str, dict[str, str]] = {
    "pause": {"running": "paused", "pending": "paused"},
    "resume": {"paused": "running"},
    "stop": {"running": "stopped", "paused": "stopped", "pending": "stopped"},
}


def replay_contract(clock: ReplayClockRow | None) -> ReplayState | None:
    if clock is None:
        return None
    return ReplayState(
        start=clock.start,
        end=clock.end,
        bars_per_second=clock.bars_per_second,
        cursor=clock.cursor,
        bars_done=clock.bars_done,
        bars_total=clock.bars_total,
        finished=clock.finished,
    )


async def to_contract(session: AsyncSession, row: DeploymentRow) -> Deployment:
    risk = await repo.risk_of(session, row)
    clock = await repo.replay_of(session, row.id)
    return Deployment(
        id=str(row.id),
        strategy_id=row.strategy_id,
        version=row.version,
        spec_hash=row.spec_hash,
        backtest_id=row.backtest_id,
        account_id=str(row.account_id),
        environment=row.environment,  # type: ignore[arg-type]
        venue=row.venue,
        status=row.status,  # type: ignore[arg-type]
        risk_state=(risk.state if risk is not None else "active"),  # type: ignore[arg-type]
        capital=row.capital,
        dry_run=row.dry_run,
        review_mode=row.review_mode,  # type: ignore[arg-type]
        timeframe=row.timeframe,
        symbols=list(row.symbols),
        gates=GateEvaluation.model_validate(row.gates),
        replay=replay_contract(clock),
        expires_at=row.expires_at,
        last_bar_at=row.last_bar_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _spec(version: dict[str, Any], strategy_id: str) -> StrategySpec:
    try:
        return StrategySpec.model_validate(version["spec"])
    except (ValidationError, KeyError):
        raise Unprocessable(
            f"strategy '{strategy_id}' version {version.get('version')} is custom code or an "
            "invalid StrategySpec; only StrategySpec strategies can be deployed.",
            slug="not-deployable",
        ) from None


def evaluate_gates(
    profile: str, spec: StrategySpec, result: dict[str, Any], acknowledged: bool
) -> tuple[GateEvaluation, str]:
    """Server-side gate evaluation (never the run's own what-ifs) and a line naming failures."""
    stats = SummaryStats.model_validate(result["summary_stats"])
    wf_raw = result.get("walk_forward")
    wf = WalkForwardReport.model_validate(wf_raw) if wf_raw else None
    style = gates.infer_style(spec)
    results = gates.evaluate(profile, stats, wf, style=style)
    evaluation = GateEvaluation(
        profile=profile,
        passed=gates.passed(results),
        failing=[r.name for r in results if not r.passed],
        acknowledged=acknowledged,
    )
    return evaluation, gates.describe_failing(results)


async def create_deployment(
    session: AsyncSession, ctx: TradingContext, user_id: uuid.UUID, body: DeploymentCreate
) -> DeploymentRow:
    env = ctx.environment
    if body.mode != env:
        raise Unprocessable(
            f"this is the {env} trading service; a {body.mode} deployment goes to the "
            f"{body.mode} service (paper and live never mix).",
            slug="wrong-environment",
        )
    account = await accounts.resolve_account(
        session, ctx, user_id, body.account_id, venue=body.broker
    )
    if account.venue != body.broker:
        raise Unprocessable(
            f"account '{account.id}' is a {account.venue} account but broker='{body.broker}'; "
            "send the account's venue as broker or choose another account.",
            slug="venue-mismatch",
        )
    if env == "live" and account.credentials_enc is None:
        raise Unprocessable(
            f"live account '{account.id}' has no broker credentials; add them to the account "
            "before deploying live.",
            slug="missing-credentials",
        )
    uid = str(user_id)
    version = await ctx.upstreams.strategy_version(uid, body.strategy_id, body.version)
    spec = _spec(version, body.strategy_id)
    spec_hash = spec.spec_hash()
    run = await ctx.upstreams.backtest_run(uid, body.backtest_id)
    if run.get("status") != "succeeded" or not run.get("result"):
        raise Conflict(
            f"backtest run '{body.backtest_id}' is {run.get('status')}; only a succeeded run "
            "qualifies a deployment. Wait for it to finish or run it again.",
            slug="backtest-not-succeeded",
        )
    result: dict[str, Any] = run["result"]
    run_hash = (result.get("provenance") or {}).get("spec_hash")
    if run_hash != spec_hash:
        raise Unprocessable(
            f"backtest run '{body.backtest_id}' tested a different spec (hash {str(run_hash)[:12]}) "
            f"than strategy '{body.strategy_id}' version {version['version']} "
            f"(hash {spec_hash[:12]}); backtest this version and deploy with that run.",
            slug="backtest-mismatch",
        )
    evaluation, failing_line = evaluate_gates(
        body.gate_profile, spec, result, body.acknowledge_failed_gates
    )
    if not evaluation.passed:
        if env == "live":
            raise Unprocessable(
                f"not eligible for live trading: gates of the '{body.gate_profile}' profile fail: "
                f"{failing_line}. Live deployments always need passing gates.",
                slug="ineligible",
            )
        if not body.acknowledge_failed_gates:
            raise Unprocessable(
                f"not eligible: gates of the '{body.gate_profile}' profile fail: {failing_line}. "
                "Improve the strategy, or deploy to paper with acknowledge_failed_gates=true "
                "(recorded).",
                slug="ineligible",
            )
    equity = await equity_mod.account_equity(session, account)
    free = equity - await repo.allocated(session, account.id)
    if body.capital > free:
        raise Unprocessable(
            f"capital {body.capital} is above what account '{account.name}' has free "
            f"({free:.2f} of equity {equity:.2f}); deploy with capital <= {free:.2f}.",
            slug="capital-above-equity",
        )
    symbols = list(spec.universe.symbols)
    mapping = {m.signal_symbol: m for m in body.instrument_map}
    unknown = sorted(set(mapping) - set(symbols))
    if unknown:
        raise Unprocessable(
            f"instrument_map names {', '.join(unknown)}, which the strategy does not trade "
            f"(it trades {', '.join(symbols)}).",
            slug="bad-instrument-map",
        )
    instrument_map = [
        (mapping.get(s) or InstrumentMapping(signal_symbol=s, traded_symbol=s)).model_dump(
            mode="json"
        )
        for s in symbols
    ]
    now = datetime.now(UTC)
    trade_start = (
        datetime.combine(body.replay.start, time(), tzinfo=UTC) if body.replay is not None else now
    )
    row = DeploymentRow(
        id=uuid.uuid4(),
        user_id=user_id,
        account_id=account.id,
        strategy_id=body.strategy_id,
        version=int(version["version"]),
        spec_hash=spec_hash,
        spec=spec.model_dump(mode="json"),
        backtest_id=body.backtest_id,
        environment=env,
        venue=account.venue,
        status="running",
        capital=body.capital,
        dry_run=body.dry_run,
        review_mode=body.review_mode or ("auto" if env == "paper" else "manual"),
        timeframe=spec.universe.timeframe,
        symbols=symbols,
        instrument_map=instrument_map,
        gates=evaluation.model_dump(mode="json"),
        trade_start=trade_start,
        # counted from the start of trading on the deployment's clock: a replay's bar time
        expires_at=(
            trade_start + timedelta(days=body.expires_after_days)
            if body.expires_after_days
            else None
        ),
    )
    session.add(row)
    await session.flush()
    if body.replay is not None:
        session.add(
            ReplayClockRow(
                deployment_id=row.id,
                start=body.replay.start,
                end=body.replay.end,
                bars_per_second=body.replay.bars_per_second,
                bars_done=0,
                bars_total=0,
                finished=False,
            )
        )
    await audit.append(
        session,
        account.id,
        actor=uid,
        kind="deployment.created",
        record={
            "deployment_id": str(row.id),
            "strategy_id": row.strategy_id,
            "version": row.version,
            "spec_hash": spec_hash,
            "backtest_id": row.backtest_id,
            "capital": str(row.capital),
            "dry_run": row.dry_run,
            "review_mode": row.review_mode,
            "gates": row.gates,
            "replay": body.replay.model_dump(mode="json") if body.replay else None,
        },
    )
    await session.flush()
    await session.refresh(row)
    return row


async def get_deployment(
    session: AsyncSession, user_id: uuid.UUID, deployment_id: str
) -> DeploymentRow:
    did = parse_id(deployment_id)
    row = await repo.get(session, user_id, did) if did is not None else None
    if row is None:
        raise NotFound(
            f"deployment '{deployment_id}' not found; GET /api/v1/deployments lists yours.",
            slug="deployment-not-found",
        )
    return row


async def list_deployments(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, cursor: str | None, sort: str | None
) -> tuple[list[DeploymentRow], str | None]:
    _, desc = parse_sort(sort, ["created_at"], "-created_at")
    return await paginate(
        session,
        select(DeploymentRow).where(DeploymentRow.user_id == user_id),
        column=DeploymentRow.created_at,
        id_column=DeploymentRow.id,
        limit=limit,
        cursor=cursor,
        descending=desc,
    )


async def transition(
    session: AsyncSession, user_id: uuid.UUID, deployment_id: str, action: str
) -> DeploymentRow:
    row = await get_deployment(session, user_id, deployment_id)
    target = TRANSITIONS[action].get(row.status)
    if target is None:
        allowed = ", ".join(sorted(TRANSITIONS[action]))
        raise Conflict(
            f"cannot {action} a deployment that is {row.status} (only when {allowed}).",
            slug="bad-transition",
        )
    before = row.status
    row.status = target
    row.status_reason = f"{action} by user"
    await audit.append(
        session,
        row.account_id,
        actor=str(user_id),
        kind=f"deployment.{action}",
        record={"deployment_id": str(row.id), "from": before, "to": target},
    )
    if action == "resume":
        # a losing-streak pause is lifted by the person who resumes (TRADING.md: manual resume)
        await risk_mod.resume_deployment_risk(session, row.account_id, row.id, str(user_id))
    await session.flush()
    await session.refresh(row)
    return row


def capital_of(row: DeploymentRow) -> Decimal:
    return Decimal(row.capital)


# --- what a deployment did ---------------------------------------------------------------------


async def list_targets(
    session: AsyncSession, dep: DeploymentRow, *, limit: int, cursor: str | None, sort: str | None
) -> tuple[list[TargetSnapshotRow], str | None]:
    _, desc = parse_sort(sort, ["created_at"], "-created_at")
    return await paginate(
        session,
        select(TargetSnapshotRow).where(TargetSnapshotRow.deployment_id == dep.id),
        column=TargetSnapshotRow.created_at,
        id_column=TargetSnapshotRow.id,
        limit=limit,
        cursor=cursor,
        descending=desc,
    )


async def list_orders(
    session: AsyncSession, dep: DeploymentRow, *, limit: int, cursor: str | None, sort: str | None
) -> tuple[list[OrderRow], str | None]:
    _, desc = parse_sort(sort, ["created_at"], "created_at")
    return await paginate(
        session,
        select(OrderRow).where(OrderRow.deployment_id == dep.id),
        column=OrderRow.created_at,
        id_column=OrderRow.id,
        limit=limit,
        cursor=cursor,
        descending=desc,
    )


async def list_fills(
    session: AsyncSession, dep: DeploymentRow, *, limit: int, cursor: str | None, sort: str | None
) -> tuple[list[FillRow], str | None]:
    field, desc = parse_sort(sort, ["ts", "created_at"], "ts")
    column = FillRow.ts if field == "ts" else FillRow.created_at
    return await paginate(
        session,
        select(FillRow).where(FillRow.deployment_id == dep.id),
        column=column,
        id_column=FillRow.id,
        limit=limit,
        cursor=cursor,
        descending=desc,
    )


def target_contract(row: TargetSnapshotRow) -> TargetSnapshot:
    return TargetSnapshot(
        id=str(row.id),
        deployment_id=str(row.deployment_id),
        bar_at=row.bar_at,
        review=row.review,  # type: ignore[arg-type]
        lines=[TargetLine.model_validate(x) for x in row.lines],
        signal=dict(row.signal),
        created_at=row.created_at,
    )


async def pnl(session: AsyncSession, dep: DeploymentRow) -> PnL:
    rows = await equity_mod.positions_of(session, dep.account_id, dep.id)
    eq, realized, unreal, fees = equity_mod.deployment_equity(Decimal(dep.capital), rows)
    marks = (
        await session.scalars(
            select(PnLMarkRow)
            .where(PnLMarkRow.account_id == dep.account_id, PnLMarkRow.deployment_id == dep.id)
            .order_by(PnLMarkRow.ts)
        )
    ).all()
    return PnL(
        deployment_id=str(dep.id),
        capital=dep.capital,
        equity=eq,
        realized_pnl=realized,
        unrealized_pnl=unreal,
        fees=fees,
        total_return_pct=float((eq / Decimal(dep.capital) - 1) * 100),
        curve=[
            PnLPoint(
                ts=m.ts,
                equity=m.equity,
                realized_pnl=m.realized_pnl,
                unrealized_pnl=m.unrealized_pnl,
                fees=m.fees,
            )
            for m in marks
        ],
    )


async def review_target(
    session: AsyncSession,
    user_id: uuid.UUID,
    dep: DeploymentRow,
    target_id: str,
    action: str,
    reason: str,
) -> TargetSnapshotRow:
    """Approve or reject a proposed snapshot (manual review); only `review` ever changes."""
    tid = parse_id(target_id)
    row = (
        await session.scalar(
            select(TargetSnapshotRow)
            .where(TargetSnapshotRow.id == tid, TargetSnapshotRow.deployment_id == dep.id)
            .with_for_update()
        )
        if tid is not None
        else None
    )
    if row is None:
        raise NotFound(f"target snapshot '{target_id}' not found in this deployment.")
    if row.review != "proposed":
        raise Conflict(
            f"this target snapshot is {row.review}; only a proposed one can be {action}d.",
            slug="bad-transition",
        )
    row.review = "approved" if action == "approve" else "rejected"
    row.reviewed_by = str(user_id)
    row.review_reason = reason
    await audit.append(
        session,
        dep.account_id,
        actor=str(user_id),
        kind=f"target.{action}",
        record={"deployment_id": str(dep.id), "target_id": str(row.id), "reason": reason},
    )
    await session.flush()
    return row
