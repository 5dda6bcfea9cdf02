"""/api/v1 trading routes: deployments, their targets, orders, fills, positions and P&L; account
risk, kill switch, reconciliation, exceptions, manual tools and the audit log (trading-service).

Thin: `service` decides which environment's service answers; bodies are relayed unchanged."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from vt_contracts.trading import (
    AuditPage,
    BrokerAccount,
    BrokerAccountCreate,
    CloseBreak,
    Deployment,
    DeploymentOverride,
    DeploymentOverrideUpdate,
    DeploymentStatus,
    ExceptionStatus,
    KillResult,
    ManualTrade,
    PnL,
    Position,
    ReasonBody,
    Reattribute,
    ReconcileReport,
    RiskLimits,
    RiskOverrides,
    RiskOverridesUpdate,
    RiskState,
    TargetSnapshot,
    TradingException,
)
from vt_gateway.deps import CurrentUser, UpstreamsDep, limit_trading
from vt_gateway.errors import UPSTREAM, authed
from vt_gateway.pagination import PageDep
from vt_gateway.proxy import relay
from vt_gateway.trading import service
from vt_gateway.trading.schemas import (
    AccountPage,
    DeploymentPage,
    DeploymentRequest,
    ExceptionPage,
    FillPage,
    OrderPage,
    TargetPage,
)
from vt_gateway.upstream import Upstream, UpstreamReply

router = APIRouter(tags=["trading"])
writes = APIRouter(tags=["trading"], dependencies=[Depends(limit_trading)])

_ID = r"^[A-Za-z0-9_-]{1,64}$"
DeploymentId = Annotated[str, Path(pattern=_ID, description="Deployment id.")]
TargetId = Annotated[str, Path(pattern=_ID, description="Target snapshot id.")]
AccountId = Annotated[str, Path(pattern=_ID, description="Broker account id.")]
ExceptionId = Annotated[str, Path(pattern=_ID, description="Exception id.")]
AccountQuery = Annotated[
    str | None,
    Query(pattern=_ID, description="Broker account; your default paper account if omitted."),
]
EnvQuery = Annotated[
    Literal["paper", "live"] | None,
    Query(description="Only this environment (both if omitted)."),
]


def _where(request: Request) -> service.Locations:
    found: service.Locations = request.app.state.trading_locations
    return found


def _json(body: Any) -> Any:
    return body.model_dump(mode="json", exclude_none=True)


async def _deployment(
    request: Request,
    up: UpstreamsDep,
    user_id: str,
    deployment_id: str,
    method: str,
    suffix: str = "",
    **kwargs: Any,
) -> Response:
    async def call(upstream: Upstream) -> UpstreamReply:
        return await upstream.request(
            method, f"/deployments/{deployment_id}{suffix}", user_id=user_id, **kwargs
        )

    return relay(
        await service.on_owner(up, _where(request), user_id, "deployments", deployment_id, call)
    )


async def _account(
    request: Request,
    up: UpstreamsDep,
    user_id: str,
    account_id: str | None,
    method: str,
    path: str,
    **kwargs: Any,
) -> Response:
    async def call(upstream: Upstream) -> UpstreamReply:
        return await upstream.request(method, path, user_id=user_id, **kwargs)

    return relay(await service.for_account(up, _where(request), user_id, account_id, call))


# ------------------------------------------------------------------------------ deployments


@writes.post(
    "/deployments",
    status_code=status.HTTP_201_CREATED,
    response_model=Deployment,
    summary="Deploy a backtested strategy to paper or live",
    responses=authed(404, 409, *UPSTREAM),
)
async def create_deployment(
    body: DeploymentRequest, principal: CurrentUser, up: UpstreamsDep, request: Request
) -> Response:
    """Pins the strategy version (spec hash) and the backtest run that qualifies it. The server's
    gate profile decides eligibility: a refusal names the failing gates. Live needs passing gates;
    paper may deploy a failing strategy with `acknowledge_failed_gates: true` (recorded). With
    `replay`, the deployment steps through historical bars at `bars_per_second` (labelled replay)."""
    reply = await up.trading(body.mode).request(
        "POST", "/deployments", user_id=principal.user_id, json=_json(body)
    )
    created = reply.json()
    if isinstance(created, dict) and isinstance(created.get("id"), str):
        _where(request).put(principal.user_id, "deployments", created["id"], body.mode)
    return relay(reply)


@router.get(
    "/deployments",
    response_model=DeploymentPage,
    summary="Your deployments (paper and live)",
    responses=authed(400, *UPSTREAM),
)
async def list_deployments(
    principal: CurrentUser,
    up: UpstreamsDep,
    page: PageDep,
    environment: EnvQuery = None,
    status_: Annotated[DeploymentStatus | None, Query(alias="status")] = None,
) -> Response:
    """Newest first by default; `environment` narrows to paper or live. When one environment's
    service does not answer, the other's items are still listed and `unavailable` names it."""
    content = await service.merged_list(
        up,
        principal.user_id,
        "/deployments",
        page,
        environment=environment,
        params={"status": status_},
    )
    return Response(content=content, media_type="application/json")


@router.get(
    "/deployments/{deployment_id}",
    response_model=Deployment,
    summary="One deployment: status, risk state, gates, replay progress",
    responses=authed(404, *UPSTREAM),
)
async def get_deployment(
    deployment_id: DeploymentId, principal: CurrentUser, up: UpstreamsDep, request: Request
) -> Response:
    return await _deployment(request, up, principal.user_id, deployment_id, "GET")


def _control(action: str, doc: str) -> None:
    async def control(
        deployment_id: DeploymentId, principal: CurrentUser, up: UpstreamsDep, request: Request
    ) -> Response:
        return await _deployment(
            request, up, principal.user_id, deployment_id, "POST", f"/{action}"
        )

    control.__doc__ = doc
    control.__name__ = f"{action}_deployment"
    writes.post(
        f"/deployments/{{deployment_id}}/{action}",
        response_model=Deployment,
        summary=f"{action.capitalize()} a deployment",
        responses=authed(404, 409, *UPSTREAM),
    )(control)


_control("pause", "Stop taking new targets; working orders and positions stay.")
_control("resume", "Take targets again from the next bar close.")
_control("stop", "Final: cancel working orders; positions stay until you close them.")


def _paged(name: str, model: type[Any], summary: str) -> None:
    async def listing(
        deployment_id: DeploymentId,
        principal: CurrentUser,
        up: UpstreamsDep,
        page: PageDep,
        request: Request,
    ) -> Response:
        return await _deployment(
            request,
            up,
            principal.user_id,
            deployment_id,
            "GET",
            f"/{name}",
            params=page.as_query(),
        )

    listing.__name__ = f"deployment_{name}"
    router.get(
        f"/deployments/{{deployment_id}}/{name}",
        response_model=model,
        summary=summary,
        responses=authed(400, 404, *UPSTREAM),
    )(listing)


_paged("targets", TargetPage, "Target snapshots of a deployment (newest first)")
_paged("orders", OrderPage, "Orders of a deployment")
_paged("fills", FillPage, "Fills of a deployment")


@router.get(
    "/deployments/{deployment_id}/positions",
    response_model=list[Position],
    summary="Positions attributed to a deployment",
    responses=authed(404, *UPSTREAM),
)
async def deployment_positions(
    deployment_id: DeploymentId, principal: CurrentUser, up: UpstreamsDep, request: Request
) -> Response:
    return await _deployment(request, up, principal.user_id, deployment_id, "GET", "/positions")


@router.get(
    "/deployments/{deployment_id}/pnl",
    response_model=PnL,
    summary="Realized and unrealized P&L and the equity curve of a deployment",
    responses=authed(404, *UPSTREAM),
)
async def deployment_pnl(
    deployment_id: DeploymentId, principal: CurrentUser, up: UpstreamsDep, request: Request
) -> Response:
    return await _deployment(request, up, principal.user_id, deployment_id, "GET", "/pnl")


def _review(action: str, doc: str) -> None:
    async def review(
        deployment_id: DeploymentId,
        target_id: TargetId,
        body: ReasonBody,
        principal: CurrentUser,
        up: UpstreamsDep,
        request: Request,
    ) -> Response:
        return await _deployment(
            request,
            up,
            principal.user_id,
            deployment_id,
            "POST",
            f"/targets/{target_id}/{action}",
            json=_json(body),
        )

    review.__doc__ = doc
    review.__name__ = f"{action}_target"
    writes.post(
        f"/deployments/{{deployment_id}}/targets/{{target_id}}/{action}",
        response_model=TargetSnapshot,
        summary=f"{action.capitalize()} a proposed target snapshot",
        responses=authed(404, 409, *UPSTREAM),
    )(review)


_review("approve", "Manual review mode: let a proposed target snapshot trade.")
_review("reject", "Manual review mode: refuse a proposed target snapshot (nothing is sent).")


# ------------------------------------------------------------------------------ accounts


@writes.post(
    "/trading/accounts",
    status_code=status.HTTP_201_CREATED,
    response_model=BrokerAccount,
    summary="Add a broker account",
    responses=authed(409, *UPSTREAM),
)
async def create_account(
    body: BrokerAccountCreate, principal: CurrentUser, up: UpstreamsDep, request: Request
) -> Response:
    """`paper` needs no credentials; others are stored encrypted and never returned."""
    reply = await up.trading(body.environment).request(
        "POST", "/accounts", user_id=principal.user_id, json=_json(body)
    )
    created = reply.json()
    if isinstance(created, dict) and isinstance(created.get("id"), str):
        _where(request).put(principal.user_id, "accounts", created["id"], body.environment)
    return relay(reply)


@router.get(
    "/trading/accounts",
    response_model=AccountPage,
    summary="Your broker accounts (paper and live)",
    responses=authed(400, *UPSTREAM),
)
async def list_accounts(
    principal: CurrentUser, up: UpstreamsDep, page: PageDep, environment: EnvQuery = None
) -> Response:
    content = await service.merged_list(
        up, principal.user_id, "/accounts", page, environment=environment
    )
    return Response(content=content, media_type="application/json")


@router.get(
    "/trading/accounts/{account_id}",
    response_model=BrokerAccount,
    summary="One broker account",
    responses=authed(404, *UPSTREAM),
)
async def get_account(
    account_id: AccountId, principal: CurrentUser, up: UpstreamsDep, request: Request
) -> Response:
    return await _account(
        request, up, principal.user_id, account_id, "GET", f"/accounts/{account_id}"
    )


@writes.put(
    "/trading/accounts/{account_id}/risk-limits",
    response_model=BrokerAccount,
    summary="Set an account's risk limits and circuit-breaker thresholds",
    responses=authed(404, *UPSTREAM),
)
async def put_risk_limits(
    account_id: AccountId,
    body: RiskLimits,
    principal: CurrentUser,
    up: UpstreamsDep,
    request: Request,
) -> Response:
    return await _account(
        request,
        up,
        principal.user_id,
        account_id,
        "PUT",
        f"/accounts/{account_id}/risk-limits",
        json=_json(body),
    )


# ------------------------------------------------------------------------------ risk overrides


@router.get(
    "/trading/accounts/{account_id}/overrides",
    response_model=RiskOverrides,
    summary="An account's risk overrides and instrument allow-list",
    responses=authed(404, *UPSTREAM),
)
async def get_account_overrides(
    account_id: AccountId, principal: CurrentUser, up: UpstreamsDep, request: Request
) -> Response:
    """What the pre-order risk gate checks right after the kill switch: the account-level and
    per-instrument overrides, every deployment's override, and the allow-list."""
    return await _account(
        request, up, principal.user_id, account_id, "GET", f"/accounts/{account_id}/overrides"
    )


@writes.put(
    "/trading/accounts/{account_id}/overrides",
    response_model=RiskOverrides,
    summary="Set an account's overrides and instrument allow-list",
    responses=authed(404, *UPSTREAM),
)
async def put_account_overrides(
    account_id: AccountId,
    body: RiskOverridesUpdate,
    principal: CurrentUser,
    up: UpstreamsDep,
    request: Request,
) -> Response:
    """Replaces the account-level override, the per-instrument overrides and the allow-list
    (what you leave out is cleared); audited with you and the reason. `close_only` /
    `reduce_only` let only reducing orders through, `no_trading` stops everything."""
    return await _account(
        request,
        up,
        principal.user_id,
        account_id,
        "PUT",
        f"/accounts/{account_id}/overrides",
        json=body.model_dump(mode="json"),
    )


@router.get(
    "/deployments/{deployment_id}/overrides",
    response_model=DeploymentOverride,
    summary="A deployment's risk override",
    responses=authed(404, *UPSTREAM),
)
async def get_deployment_override(
    deployment_id: DeploymentId, principal: CurrentUser, up: UpstreamsDep, request: Request
) -> Response:
    return await _deployment(request, up, principal.user_id, deployment_id, "GET", "/overrides")


@writes.put(
    "/deployments/{deployment_id}/overrides",
    response_model=DeploymentOverride,
    summary="Set or clear a deployment's risk override",
    responses=authed(404, *UPSTREAM),
)
async def put_deployment_override(
    deployment_id: DeploymentId,
    body: DeploymentOverrideUpdate,
    principal: CurrentUser,
    up: UpstreamsDep,
    request: Request,
) -> Response:
    """`mode: null` clears it; audited with you and the reason."""
    return await _deployment(
        request,
        up,
        principal.user_id,
        deployment_id,
        "PUT",
        "/overrides",
        json=body.model_dump(mode="json"),
    )


# ------------------------------------------------------------------------------ account level


@router.get(
    "/trading/positions",
    response_model=list[Position],
    summary="Account positions, attributed and unattributed",
    responses=authed(404, *UPSTREAM),
)
async def account_positions(
    principal: CurrentUser, up: UpstreamsDep, request: Request, account_id: AccountQuery = None
) -> Response:
    """Per (deployment, instrument); `deployment_id: null` rows are the unattributed bucket
    (activity at the broker none of our orders explains: visible, never traded against)."""
    return await _account(
        request,
        up,
        principal.user_id,
        account_id,
        "GET",
        "/trading/positions",
        params={"account_id": account_id},
    )


@router.get(
    "/trading/risk",
    response_model=RiskState,
    summary="Risk state, breakers and limits of an account",
    responses=authed(404, *UPSTREAM),
)
async def account_risk(
    principal: CurrentUser, up: UpstreamsDep, request: Request, account_id: AccountQuery = None
) -> Response:
    return await _account(
        request,
        up,
        principal.user_id,
        account_id,
        "GET",
        "/trading/risk",
        params={"account_id": account_id},
    )


def _account_action(path: str, model: type[Any], summary: str, doc: str) -> None:
    async def action(
        body: ReasonBody, principal: CurrentUser, up: UpstreamsDep, request: Request
    ) -> Response:
        return await _account(
            request, up, principal.user_id, body.account_id, "POST", path, json=_json(body)
        )

    action.__doc__ = doc
    action.__name__ = path.strip("/").replace("/", "_")
    writes.post(path, response_model=model, summary=summary, responses=authed(404, 409, *UPSTREAM))(
        action
    )


_account_action(
    "/trading/kill",
    KillResult,
    "Kill switch: cancel everything, flatten, hold the account killed",
    "Cancels every working order and flattens every attributed position (reduce-only) of the "
    "account, then holds it `killed`, across restarts, until `POST /trading/rearm`.",
)
_account_action(
    "/trading/rearm",
    RiskState,
    "Re-arm a killed or halted account",
    "Only an explicit re-arm with a reason lifts the kill switch; the flatten latch resets.",
)
_account_action(
    "/trading/reconcile",
    ReconcileReport,
    "Reconcile an account with its broker now",
    "Classifies every difference between the broker and our records; never re-sends. "
    "Ambiguity or a break above tolerance halts the account and opens an exception.",
)


@router.get(
    "/trading/exceptions",
    response_model=ExceptionPage,
    summary="Trading exceptions (reconciliation breaks, ambiguity, overfills, ...)",
    responses=authed(400, 404, *UPSTREAM),
)
async def list_exceptions(
    principal: CurrentUser,
    up: UpstreamsDep,
    page: PageDep,
    request: Request,
    environment: EnvQuery = None,
    account_id: AccountQuery = None,
    status_: Annotated[ExceptionStatus | None, Query(alias="status")] = None,
) -> Response:
    if account_id is not None and environment is None:
        # one account lives in one environment: ask only that service
        environment = await service.account_environment(
            up, _where(request), principal.user_id, account_id
        )
    content = await service.merged_list(
        up,
        principal.user_id,
        "/trading/exceptions",
        page,
        environment=environment,
        params={"account_id": account_id, "status": status_},
    )
    return Response(content=content, media_type="application/json")


def _exception_action(action: str, doc: str) -> None:
    async def act(
        exception_id: ExceptionId,
        body: ReasonBody,
        principal: CurrentUser,
        up: UpstreamsDep,
        request: Request,
    ) -> Response:
        async def call(upstream: Upstream) -> UpstreamReply:
            return await upstream.request(
                "POST",
                f"/trading/exceptions/{exception_id}/{action}",
                user_id=principal.user_id,
                json=_json(body),
            )

        return relay(
            await service.on_owner(
                up, _where(request), principal.user_id, "exceptions", exception_id, call
            )
        )

    act.__doc__ = doc
    act.__name__ = f"{action}_exception"
    writes.post(
        f"/trading/exceptions/{{exception_id}}/{action}",
        response_model=TradingException,
        summary=f"{action.capitalize()} an exception",
        responses=authed(404, 409, *UPSTREAM),
    )(act)


_exception_action("acknowledge", "Someone is on it: the exception stays open for trading.")
_exception_action("resolve", "Fixed (after the manual tools); trading may resume by re-arm.")


def _manual(name: str, model: type[Any], answer: Any, summary: str) -> None:
    async def manual(
        body: Any,  # the model, set below (FastAPI reads the real annotation)
        principal: CurrentUser,
        up: UpstreamsDep,
        request: Request,
    ) -> Response:
        return await _account(
            request,
            up,
            principal.user_id,
            body.account_id,
            "POST",
            f"/trading/manual/{name}",
            json=_json(body),
        )

    manual.__annotations__["body"] = model  # a closure variable: resolve it for FastAPI now
    manual.__name__ = f"manual_{name.replace('-', '_')}"
    writes.post(
        f"/trading/manual/{name}",
        response_model=answer,
        summary=summary,
        responses=authed(404, 409, *UPSTREAM),
    )(manual)


_manual("trade", ManualTrade, Position, "Record a manual trade or close (audited, with a reason)")
_manual("reattribute", Reattribute, Position, "Re-attribute a position (audited, with a reason)")
_manual(
    "close-break",
    CloseBreak,
    TradingException,
    "Close a reconciliation break (audited, with a reason)",
)


@router.get(
    "/trading/audit",
    response_model=AuditPage,
    summary="The account's hash-chained audit log",
    responses=authed(400, 404, *UPSTREAM),
)
async def audit_log(
    principal: CurrentUser,
    up: UpstreamsDep,
    page: PageDep,
    request: Request,
    account_id: AccountQuery = None,
) -> Response:
    """Every broker request/response and every decision, secrets redacted; `verified` tells
    whether the hash chain is intact."""
    return await _account(
        request,
        up,
        principal.user_id,
        account_id,
        "GET",
        "/trading/audit",
        params={**page.as_query(), "account_id": account_id},
    )


router.include_router(writes)
