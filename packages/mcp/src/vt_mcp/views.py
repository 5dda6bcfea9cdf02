"""What the tools hand back: the API's answers, trimmed to what a model needs to reason about
(metrics, gates, ids, a sample of the bars) instead of tens of thousands of curve points."""

from __future__ import annotations

from typing import Any

from vt_client.models import ChatReply, Strategy
from vt_contracts import BacktestRun, Insight, OHLCVFrame
from vt_contracts.trading import Deployment


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def compact(value: dict[str, Any]) -> dict[str, Any]:
    """Drop nulls and empty containers so the model reads what matters."""
    pruned: dict[str, Any] = _prune(value)
    return pruned


def chat(reply: ChatReply) -> dict[str, Any]:
    out: dict[str, Any] = {
        "reply": reply.reply,
        "conversation_id": reply.conversation_id,
        "strategy_id": reply.strategy_id,
        "version": reply.version,
        "clarification": reply.clarification,
        "warnings": reply.warnings,
        "spec": reply.spec,
    }
    if reply.strategy_id is None:
        out["next_step"] = (
            "No strategy was saved yet: answer the clarification with chat_strategy, passing "
            "the same conversation_id."
        )
    else:
        out["next_step"] = "Backtest it with run_backtest(strategy_id=...)."
    return compact(out)


def strategy_summary(item: dict[str, Any]) -> dict[str, Any]:
    spec = item.get("spec") or {}
    universe = spec.get("universe") or {}
    return compact(
        {
            "id": item.get("id"),
            "name": item.get("name"),
            "current_version": item.get("current_version"),
            "symbols": item.get("symbols") or universe.get("symbols"),
            "timeframe": item.get("timeframe") or universe.get("timeframe"),
            "updated_at": item.get("updated_at"),
        }
    )


HEADLINE = (
    "total_return_pct",
    "cagr_pct",
    "sharpe_ratio",
    "max_drawdown_pct",
    "win_rate_pct",
    "trade_count",
    "benchmark_return_pct",
)


def backtest_summary(item: dict[str, Any]) -> dict[str, Any]:
    """A run in a list: what it ran and its headline numbers, without the full stats."""
    summary = item.get("summary") or {}
    error = item.get("error") or {}
    return compact(
        {
            "id": item.get("id"),
            "status": item.get("status"),
            "name": item.get("name"),
            "symbols": item.get("symbols"),
            "strategy_id": item.get("strategy_id"),
            "strategy_version": item.get("strategy_version"),
            "created_at": item.get("created_at"),
            "finished_at": item.get("finished_at"),
            "headline": {k: summary.get(k) for k in HEADLINE} if summary else None,
            "error": error.get("detail") or error.get("title"),
        }
    )


def strategy(found: Strategy) -> dict[str, Any]:
    return compact(found.model_dump(mode="json"))


def backtest(run: BacktestRun, trades: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": run.id,
        "status": run.status,
        "progress": run.progress,
        "strategy_id": run.strategy_id,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
    if run.error is not None:
        out["error"] = run.error.detail or run.error.title
    result = run.result
    if result is not None:
        out["metrics"] = result.summary_stats.model_dump(mode="json")
        out["gate_profile"] = result.gate_profile
        out["gates"] = [
            {"name": g.name, "passed": g.passed, "value": g.value, "threshold": g.threshold}
            for g in result.gates
        ]
        out["gates_passed"] = all(g.passed for g in result.gates) if result.gates else None
        out["trade_count"] = len(result.trades)
        out["warnings"] = result.warnings
        out["run_hash"] = result.provenance.run_hash
        if trades:
            out["trades"] = [t.model_dump(mode="json") for t in result.trades[:trades]]
    elif run.status not in ("succeeded", "failed", "cancelled"):
        out["next_step"] = "Still running: call get_backtest(run_id) again in a little while."
    return compact(out)


def market(frame: OHLCVFrame, max_bars: int) -> dict[str, Any]:
    n = len(frame.timestamps)
    start = max(0, n - max_bars)
    bars = [
        {
            "t": frame.timestamps[i].isoformat(),
            "o": frame.open[i],
            "h": frame.high[i],
            "l": frame.low[i],
            "c": frame.close[i],
            "v": frame.volume[i],
        }
        for i in range(start, n)
    ]
    return compact(
        {
            "symbol": frame.symbol,
            "timeframe": frame.timeframe,
            "provider": frame.provider,
            "adjusted": frame.adjusted,
            "bars_total": n,
            "first": frame.timestamps[0].isoformat() if n else None,
            "last": frame.timestamps[-1].isoformat() if n else None,
            "close_min": min(frame.close) if n else None,
            "close_max": max(frame.close) if n else None,
            "bars_returned": len(bars),
            "bars": bars,
        }
    )


def insight(found: Insight) -> dict[str, Any]:
    return compact(found.model_dump(mode="json"))


def deployment(found: Deployment) -> dict[str, Any]:
    return compact(found.model_dump(mode="json"))
