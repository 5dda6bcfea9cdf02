"""`VTClient`: a typed, synchronous client of the VibeTrading public API (/api/v1)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import orjson

from vt_client.errors import APIError, NotLoggedIn
from vt_client.models import (
    ChatReply,
    Page,
    PersonalToken,
    PersonalTokenCreated,
    RunSummary,
    SSEEvent,
    Strategy,
    StrategyVersion,
    Tokens,
    TradingPage,
    User,
)
from vt_contracts import BacktestRun, Insight, OHLCVFrame, StrategySpec
from vt_contracts.trading import (
    BrokerAccount,
    BrokerAccountCreate,
    Deployment,
    DeploymentCreate,
    DeploymentOverride,
    DeploymentOverrideUpdate,
    Fill,
    KillResult,
    Order,
    PnL,
    Position,
    ReasonBody,
    ReconcileReport,
    RiskLimits,
    RiskOverrides,
    RiskOverridesUpdate,
    RiskState,
    TargetSnapshot,
    TradingException,
)

DEFAULT_API_URL = "http://127.0.0.1:8000"
FINISHED = ("succeeded", "failed", "cancelled")


def default_api_url() -> str:
    return os.environ.get("VT_API_URL", DEFAULT_API_URL).rstrip("/")


class VTClient:
    """Bearer-token client. Pass `refresh_token` to refresh a stale access token automatically;
    `on_tokens` is called with fresh tokens so callers can persist them."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        refresh_token: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        on_tokens: Callable[[Tokens], None] | None = None,
    ) -> None:
        self.base_url = (base_url or default_api_url()).rstrip("/")
        self.token = token
        self.refresh_token = refresh_token
        self.on_tokens = on_tokens
        self._http = httpx.Client(
            base_url=self.base_url + "/api/v1",
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": "vt-client/0.1", "Accept": "application/json"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> VTClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------------------------- core

    def _auth_headers(self, required: bool) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if required:
            raise NotLoggedIn("Not logged in: run `vt login` or set VT_TOKEN.")
        return {}

    def request(
        self, method: str, path: str, *, auth: bool = True, retry_auth: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """Send a request; raise `APIError` for error answers. Refreshes once on 401 when possible."""
        headers = {**kwargs.pop("headers", {}), **self._auth_headers(auth)}
        response = self._http.request(method, path, headers=headers, **kwargs)
        if response.status_code == 401 and auth and retry_auth and self.refresh_token:
            self.refresh()
            return self.request(method, path, auth=auth, retry_auth=False, **kwargs)
        if response.status_code >= 400:
            raise APIError.from_response(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return orjson.loads(self.request(method, path, **kwargs).content)

    # ---------------------------------------------------------------------------------- auth

    def register(self, email: str, password: str) -> User:
        return User.model_validate(
            self._json(
                "POST", "/auth/register", auth=False, json={"email": email, "password": password}
            )
        )

    def login(self, email: str, password: str) -> Tokens:
        tokens = Tokens.model_validate(
            self._json(
                "POST",
                "/auth/login",
                auth=False,
                json={"email": email, "password": password, "include_refresh_token": True},
            )
        )
        self._http.cookies.clear()  # bearer only
        self._use(tokens)
        return tokens

    def refresh(self) -> Tokens:
        if not self.refresh_token:
            raise NotLoggedIn("No refresh token: log in again.")
        tokens = Tokens.model_validate(
            self._json(
                "POST", "/auth/refresh", auth=False, json={"refresh_token": self.refresh_token}
            )
        )
        self._http.cookies.clear()
        self._use(tokens)
        return tokens

    def logout(self) -> None:
        body = {"refresh_token": self.refresh_token} if self.refresh_token else None
        self.request("POST", "/auth/logout", auth=bool(self.token), retry_auth=False, json=body)
        self.token = None
        self.refresh_token = None

    def _use(self, tokens: Tokens) -> None:
        self.token = tokens.access_token
        if tokens.refresh_token:
            self.refresh_token = tokens.refresh_token
        if self.on_tokens is not None:
            self.on_tokens(tokens)

    def me(self) -> User:
        return User.model_validate(self._json("GET", "/users/me"))

    def update_settings(self, **changes: Any) -> User:
        return User.model_validate(self._json("PATCH", "/users/me/settings", json=changes))

    # ------------------------------------------------------------------ personal access tokens

    def create_token(self, name: str, scopes: list[str]) -> PersonalTokenCreated:
        """A scoped token for scripts and AI assistants (`read`, `backtest`, `paper`); the token
        itself is in this answer only. Needs a password login."""
        return PersonalTokenCreated.model_validate(
            self._json("POST", "/users/me/tokens", json={"name": name, "scopes": scopes})
        )

    def tokens(self) -> list[PersonalToken]:
        page = self._json("GET", "/users/me/tokens")
        return [PersonalToken.model_validate(t) for t in page["items"]]

    def revoke_token(self, token_id: str) -> None:
        self.request("DELETE", f"/users/me/tokens/{token_id}")

    # ---------------------------------------------------------------------------------- chat

    def chat(self, message: str, conversation_id: str | None = None) -> ChatReply:
        body: dict[str, Any] = {"message": message}
        if conversation_id:
            body["conversation_id"] = conversation_id
        return ChatReply.model_validate(self._json("POST", "/chat/strategy", json=body))

    def chat_stream(self, message: str, conversation_id: str | None = None) -> Iterator[SSEEvent]:
        """Yield `token` events (`{"text"}`) and finally `result` (a ChatReply dict) or `error`."""
        body: dict[str, Any] = {"message": message}
        if conversation_id:
            body["conversation_id"] = conversation_id
        yield from self._sse("POST", "/chat/strategy", json=body)

    def _sse(self, method: str, path: str, **kwargs: Any) -> Iterator[SSEEvent]:
        headers = {**self._auth_headers(True), "Accept": "text/event-stream"}
        with self._http.stream(method, path, headers=headers, timeout=None, **kwargs) as response:
            if response.status_code >= 400:
                response.read()
                raise APIError.from_response(response)
            event, data = "message", list[str]()
            for line in response.iter_lines():
                if not line:
                    if data:
                        yield SSEEvent(event=event, data=orjson.loads("\n".join(data)))
                    event, data = "message", []
                elif line.startswith(":"):
                    continue
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())

    # ---------------------------------------------------------------------------------- strategies

    def strategies(
        self, *, limit: int = 20, cursor: str | None = None, sort: str | None = None
    ) -> Page:
        params = {
            k: v
            for k, v in {"limit": limit, "cursor": cursor, "sort": sort}.items()
            if v is not None
        }
        return Page.model_validate(self._json("GET", "/strategies", params=params))

    def strategy(self, strategy_id: str) -> Strategy:
        return Strategy.model_validate(self._json("GET", f"/strategies/{strategy_id}"))

    def update_strategy(
        self, strategy_id: str, spec: StrategySpec | dict[str, Any], name: str | None = None
    ) -> Strategy:
        body: dict[str, Any] = {
            "spec": spec.model_dump(mode="json") if isinstance(spec, StrategySpec) else spec
        }
        if name:
            body["name"] = name
        return Strategy.model_validate(self._json("PUT", f"/strategies/{strategy_id}", json=body))

    def delete_strategy(self, strategy_id: str) -> None:
        self.request("DELETE", f"/strategies/{strategy_id}")

    def strategy_versions(
        self, strategy_id: str, *, limit: int = 20, cursor: str | None = None
    ) -> list[StrategyVersion]:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        page = Page.model_validate(
            self._json("GET", f"/strategies/{strategy_id}/versions", params=params)
        )
        return [StrategyVersion.model_validate(v) for v in page.items]

    # ---------------------------------------------------------------------------------- backtests

    def run_backtest(
        self,
        *,
        strategy_id: str | None = None,
        spec: StrategySpec | dict[str, Any] | None = None,
        code: str | None = None,
        symbols: list[str] | None = None,
        timeframe: str | None = None,
        start: str | None = None,
        end: str | None = None,
        initial_capital: float | None = None,
        commission: float | None = None,
        slippage: float | None = None,
        fill: Literal["next_open", "close"] | None = None,
        size: float | None = None,
        params: dict[str, Any] | None = None,
        walk_forward: dict[str, Any] | None = None,
        gates: dict[str, Any] | None = None,
    ) -> str:
        """Queue a run of exactly one of `strategy_id`, `spec` or `code`; return its id."""
        body: dict[str, Any] = {
            "strategy_id": strategy_id,
            "spec": spec.model_dump(mode="json") if isinstance(spec, StrategySpec) else spec,
            "code": code,
            "symbols": symbols,
            "timeframe": timeframe,
            "start": start,
            "end": end,
            "initial_capital": initial_capital,
            "commission": commission,
            "slippage": slippage,
            "fill": fill,
            "size": size,
            "params": params,
            "walk_forward": walk_forward,
            "gates": gates,
        }
        created = self._json(
            "POST", "/backtest/run", json={k: v for k, v in body.items() if v is not None}
        )
        return str(created["id"])

    def backtest(self, run_id: str) -> BacktestRun:
        return BacktestRun.model_validate_json(self.request("GET", f"/backtest/{run_id}").content)

    def cancel_backtest(self, run_id: str) -> BacktestRun:
        """Cancel a queued or running run; `APIError` 409 when it already finished."""
        return BacktestRun.model_validate_json(
            self.request("POST", f"/backtest/{run_id}/cancel").content
        )

    def backtests(self, *, limit: int = 20, cursor: str | None = None) -> list[RunSummary]:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        page = Page.model_validate(self._json("GET", "/backtests", params=params))
        return [RunSummary.model_validate(r) for r in page.items]

    def backtest_events(self, run_id: str) -> Iterator[SSEEvent]:
        """Live `status` events of a run until it finishes."""
        yield from self._sse("GET", f"/backtest/{run_id}/events")

    def wait_for_backtest(
        self,
        run_id: str,
        *,
        poll_seconds: float = 0.5,
        timeout: float | None = None,
        on_progress: Callable[[BacktestRun], None] | None = None,
    ) -> BacktestRun:
        """Poll until the run has succeeded, failed or been cancelled."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            run = self.backtest(run_id)
            if on_progress is not None:
                on_progress(run)
            if run.status in FINISHED:
                return run
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"backtest {run_id} is still {run.status}")
            time.sleep(poll_seconds)

    # ---------------------------------------------------------------------------------- market

    def market_data(
        self, symbol: str, timeframe: str = "1d", start: str | None = None, end: str | None = None
    ) -> OHLCVFrame:
        params = {
            k: v
            for k, v in {
                "symbol": symbol,
                "timeframe": timeframe,
                "start": start,
                "end": end,
            }.items()
            if v
        }
        return OHLCVFrame.model_validate_json(
            self.request("GET", "/market/data", params=params).content
        )

    def search_symbols(self, q: str, limit: int = 20) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._json(
            "GET", "/market/symbols", params={"q": q, "limit": limit}
        )
        return found

    def upload(self, path: str | Path, symbol: str, timeframe: str = "1d") -> dict[str, Any]:
        file = Path(path)
        with file.open("rb") as fh:
            summary: dict[str, Any] = self._json(
                "POST",
                "/market/uploads",
                files={"file": (file.name, fh, "application/octet-stream")},
                data={"symbol": symbol, "timeframe": timeframe},
            )
        return summary

    def insight(self, symbol: str) -> Insight:
        return Insight.model_validate_json(
            self.request("GET", "/market/insight", params={"symbol": symbol}).content
        )

    def strategy_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = self._json("GET", "/schemas/strategy", auth=False)
        return schema

    # ---------------------------------------------------------------------------------- trading

    def deploy(self, body: DeploymentCreate | dict[str, Any]) -> Deployment:
        """Deploy a backtested strategy version (paper or live); refused with the failing gates."""
        payload = (
            body.model_dump(mode="json", exclude_none=True)
            if isinstance(body, DeploymentCreate)
            else DeploymentCreate.model_validate(body).model_dump(mode="json", exclude_none=True)
        )
        return Deployment.model_validate(self._json("POST", "/deployments", json=payload))

    def deployments(
        self,
        *,
        environment: Literal["paper", "live"] | None = None,
        status: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> TradingPage[Deployment]:
        params = _params(environment=environment, status=status, limit=limit, cursor=cursor)
        return TradingPage[Deployment].model_validate(
            self._json("GET", "/deployments", params=params)
        )

    def all_deployments(
        self, *, environment: Literal["paper", "live"] | None = None, status: str | None = None
    ) -> list[Deployment]:
        """Every deployment, following the cursors."""
        found: list[Deployment] = []
        cursor: str | None = None
        while True:
            page = self.deployments(environment=environment, status=status, cursor=cursor)
            found.extend(page.items)
            if not page.next_cursor:
                return found
            cursor = page.next_cursor

    def deployment(self, deployment_id: str) -> Deployment:
        return Deployment.model_validate(self._json("GET", f"/deployments/{deployment_id}"))

    def control_deployment(
        self, deployment_id: str, action: Literal["pause", "resume", "stop"]
    ) -> Deployment:
        return Deployment.model_validate(
            self._json("POST", f"/deployments/{deployment_id}/{action}")
        )

    def targets(
        self, deployment_id: str, *, limit: int = 100, cursor: str | None = None
    ) -> TradingPage[TargetSnapshot]:
        return TradingPage[TargetSnapshot].model_validate(
            self._json(
                "GET",
                f"/deployments/{deployment_id}/targets",
                params=_params(limit=limit, cursor=cursor),
            )
        )

    def orders(
        self, deployment_id: str, *, limit: int = 100, cursor: str | None = None
    ) -> TradingPage[Order]:
        return TradingPage[Order].model_validate(
            self._json(
                "GET",
                f"/deployments/{deployment_id}/orders",
                params=_params(limit=limit, cursor=cursor),
            )
        )

    def fills(
        self, deployment_id: str, *, limit: int = 100, cursor: str | None = None
    ) -> TradingPage[Fill]:
        return TradingPage[Fill].model_validate(
            self._json(
                "GET",
                f"/deployments/{deployment_id}/fills",
                params=_params(limit=limit, cursor=cursor),
            )
        )

    def all_fills(self, deployment_id: str) -> list[Fill]:
        found: list[Fill] = []
        cursor: str | None = None
        while True:
            page = self.fills(deployment_id, cursor=cursor)
            found.extend(page.items)
            if not page.next_cursor:
                return found
            cursor = page.next_cursor

    def deployment_positions(self, deployment_id: str) -> list[Position]:
        return [
            Position.model_validate(p)
            for p in self._json("GET", f"/deployments/{deployment_id}/positions")
        ]

    def pnl(self, deployment_id: str) -> PnL:
        return PnL.model_validate(self._json("GET", f"/deployments/{deployment_id}/pnl"))

    def review_target(
        self,
        deployment_id: str,
        target_id: str,
        action: Literal["approve", "reject"],
        reason: str,
    ) -> TargetSnapshot:
        return TargetSnapshot.model_validate(
            self._json(
                "POST",
                f"/deployments/{deployment_id}/targets/{target_id}/{action}",
                json={"reason": reason},
            )
        )

    def accounts(
        self, *, environment: Literal["paper", "live"] | None = None
    ) -> TradingPage[BrokerAccount]:
        return TradingPage[BrokerAccount].model_validate(
            self._json("GET", "/trading/accounts", params=_params(environment=environment))
        )

    def create_account(self, body: BrokerAccountCreate | dict[str, Any]) -> BrokerAccount:
        payload = BrokerAccountCreate.model_validate(
            body.model_dump() if isinstance(body, BrokerAccountCreate) else body
        ).model_dump(mode="json", exclude_none=True)
        return BrokerAccount.model_validate(self._json("POST", "/trading/accounts", json=payload))

    def account(self, account_id: str) -> BrokerAccount:
        return BrokerAccount.model_validate(self._json("GET", f"/trading/accounts/{account_id}"))

    def set_risk_limits(
        self, account_id: str, limits: RiskLimits | dict[str, Any]
    ) -> BrokerAccount:
        """Replace an account's risk limits and breaker thresholds (omitted fields: defaults)."""
        body = RiskLimits.model_validate(
            limits.model_dump() if isinstance(limits, RiskLimits) else limits
        ).model_dump(mode="json")
        return BrokerAccount.model_validate(
            self._json("PUT", f"/trading/accounts/{account_id}/risk-limits", json=body)
        )

    def positions(self, account_id: str | None = None) -> list[Position]:
        """Account positions, attributed and unattributed (default: your paper account)."""
        return [
            Position.model_validate(p)
            for p in self._json("GET", "/trading/positions", params=_params(account_id=account_id))
        ]

    def overrides(self, account_id: str) -> RiskOverrides:
        """An account's overrides (account, per instrument, per deployment) and allow-list."""
        return RiskOverrides.model_validate(
            self._json("GET", f"/trading/accounts/{account_id}/overrides")
        )

    def set_overrides(
        self, account_id: str, update: RiskOverridesUpdate | dict[str, Any]
    ) -> RiskOverrides:
        """Replace the account-level and per-instrument overrides and the allow-list."""
        body = RiskOverridesUpdate.model_validate(
            update.model_dump() if isinstance(update, RiskOverridesUpdate) else update
        ).model_dump(mode="json")
        return RiskOverrides.model_validate(
            self._json("PUT", f"/trading/accounts/{account_id}/overrides", json=body)
        )

    def deployment_override(self, deployment_id: str) -> DeploymentOverride:
        return DeploymentOverride.model_validate(
            self._json("GET", f"/deployments/{deployment_id}/overrides")
        )

    def set_deployment_override(
        self, deployment_id: str, mode: str | None, reason: str
    ) -> DeploymentOverride:
        """Set (or with mode None clear) one deployment's override."""
        body = DeploymentOverrideUpdate.model_validate({"mode": mode, "reason": reason})
        return DeploymentOverride.model_validate(
            self._json(
                "PUT", f"/deployments/{deployment_id}/overrides", json=body.model_dump(mode="json")
            )
        )

    def risk(self, account_id: str | None = None) -> RiskState:
        return RiskState.model_validate(
            self._json("GET", "/trading/risk", params=_params(account_id=account_id))
        )

    def kill(self, reason: str, account_id: str | None = None) -> KillResult:
        """Cancel every working order, flatten, and hold the account killed until a re-arm."""
        return KillResult.model_validate(
            self._json("POST", "/trading/kill", json=_reason(reason, account_id))
        )

    def rearm(self, reason: str, account_id: str | None = None) -> RiskState:
        return RiskState.model_validate(
            self._json("POST", "/trading/rearm", json=_reason(reason, account_id))
        )

    def reconcile(self, reason: str, account_id: str | None = None) -> ReconcileReport:
        return ReconcileReport.model_validate(
            self._json("POST", "/trading/reconcile", json=_reason(reason, account_id))
        )

    def trading_exceptions(
        self,
        *,
        status: str | None = None,
        account_id: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> TradingPage[TradingException]:
        return TradingPage[TradingException].model_validate(
            self._json(
                "GET",
                "/trading/exceptions",
                params=_params(status=status, account_id=account_id, limit=limit, cursor=cursor),
            )
        )

    def trading_events(self, deployment_id: str | None = None) -> Iterator[SSEEvent]:
        """Live `deployment`, `order`, `fill`, `target` and `risk` events (paper and live)."""
        params = _params(deployment_id=deployment_id)
        yield from self._sse("GET", "/trading/events", params=params)


def _params(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _reason(reason: str, account_id: str | None) -> dict[str, Any]:
    return ReasonBody(reason=reason, account_id=account_id).model_dump(
        mode="json", exclude_none=True
    )
