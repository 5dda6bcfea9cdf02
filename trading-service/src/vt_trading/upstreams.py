"""Typed clients of the sibling services the trading service reads (never their tables)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import numpy as np
import pandas as pd
from pydantic import ValidationError

from vt_contracts import OHLCVFrame
from vt_kit.http import make_client
from vt_kit.problems import NotFound, ProblemError, Unprocessable, UpstreamError

COLUMNS = ("open", "high", "low", "close", "volume")


class UpstreamUnavailable(ProblemError):
    status, slug, title = 503, "upstream-unavailable", "Upstream unavailable"


def frame_to_dataframe(frame: OHLCVFrame) -> pd.DataFrame:
    """UTC DatetimeIndex, float64 open/high/low/close/volume, ascending (as the backtest worker)."""
    index = pd.DatetimeIndex(pd.to_datetime(frame.timestamps, utc=True), name="timestamp")
    df = pd.DataFrame(
        {c: np.asarray(getattr(frame, c), dtype="float64") for c in COLUMNS}, index=index
    )
    return df if df.index.is_monotonic_increasing else df.sort_index()


def _detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200] or resp.reason_phrase
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or resp.reason_phrase)[:500]
    return resp.reason_phrase


@dataclass
class Upstreams:
    """One client per upstream; created in lifespan, closed at shutdown."""

    strategy: httpx.AsyncClient
    backtest: httpx.AsyncClient
    market_data: httpx.AsyncClient

    @classmethod
    def create(
        cls,
        *,
        strategy_url: str,
        backtest_url: str,
        market_data_url: str,
        token: str,
        timeout_s: float,
    ) -> Upstreams:
        timeout = httpx.Timeout(timeout_s, connect=3.0)
        return cls(
            strategy=make_client(strategy_url, internal_token=token, timeout=timeout),
            backtest=make_client(backtest_url, internal_token=token, timeout=timeout),
            market_data=make_client(market_data_url, internal_token=token, timeout=timeout),
        )

    async def aclose(self) -> None:
        for client in (self.strategy, self.backtest, self.market_data):
            await client.aclose()

    async def _get(
        self, client: httpx.AsyncClient, service: str, path: str, user_id: str, **params: Any
    ) -> httpx.Response:
        try:
            return await client.get(path, params=params or None, headers={"X-User-Id": user_id})
        except httpx.TimeoutException:
            raise UpstreamError(
                f"{service} did not answer in time; try again shortly.", status=504, service=service
            ) from None
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(
                f"{service} could not be reached ({type(exc).__name__}); try again shortly.",
                service=service,
            ) from None

    async def strategy_version(
        self, user_id: str, strategy_id: str, version: int | None
    ) -> dict[str, Any]:
        """The saved version (spec, spec_hash); latest when `version` is None.

        404 names the strategy: it does not exist, is another user's, or was deleted."""
        svc = "strategy-ai-worker"
        if version is None:
            resp = await self._get(self.strategy, svc, f"/strategies/{strategy_id}", user_id)
        else:
            resp = await self._get(
                self.strategy, svc, f"/strategies/{strategy_id}/versions/{version}", user_id
            )
        if resp.status_code in (404, 422):
            which = f"version {version} of strategy" if version is not None else "strategy"
            raise NotFound(
                f"{which} '{strategy_id}' does not exist or was deleted; deploy a saved strategy "
                "of yours (GET /api/v1/strategies lists them).",
                slug="strategy-not-found",
            )
        if resp.status_code != 200:
            raise UpstreamError(
                f"{svc} answered HTTP {resp.status_code}: {_detail(resp)}", service=svc
            )
        body: dict[str, Any] = resp.json()
        if version is None:
            body = {
                "version": body["current_version"],
                "spec": body["spec"],
                "spec_hash": body.get("spec_hash"),
            }
        return body

    async def backtest_run(self, user_id: str, run_id: str) -> dict[str, Any]:
        svc = "backtest-engine"
        resp = await self._get(self.backtest, svc, f"/runs/{run_id}", user_id)
        if resp.status_code in (404, 422):
            raise NotFound(
                f"backtest run '{run_id}' does not exist (or is another user's); run a backtest of "
                "this strategy version first and deploy with its id.",
                slug="backtest-not-found",
            )
        if resp.status_code != 200:
            raise UpstreamError(
                f"{svc} answered HTTP {resp.status_code}: {_detail(resp)}", service=svc
            )
        body: dict[str, Any] = resp.json()
        return body

    async def ohlcv(
        self,
        user_id: str,
        symbol: str,
        *,
        timeframe: str,
        start: date | None,
        end: date | None,
    ) -> tuple[pd.DataFrame, str]:
        """Bars of one symbol and their source label."""
        svc = "market-data"
        params: dict[str, Any] = {"symbol": symbol, "timeframe": timeframe, "adjust": "true"}
        if start is not None:
            params["start"] = start.isoformat()
        if end is not None:
            params["end"] = end.isoformat()
        resp = await self._get(self.market_data, svc, "/ohlcv", user_id, **params)
        if resp.status_code == 404:
            raise Unprocessable(
                f"market-data has no data for '{symbol}' ({_detail(resp)}).", slug="unknown-symbol"
            )
        if resp.status_code != 200:
            raise UpstreamError(
                f"market-data answered HTTP {resp.status_code} for '{symbol}': {_detail(resp)}",
                service=svc,
            )
        try:
            frame = OHLCVFrame.model_validate_json(resp.content)
        except ValidationError as exc:
            raise UpstreamError(
                f"market-data returned an invalid frame for '{symbol}' ({exc.error_count()} errors).",
                service=svc,
            ) from None
        source = frame.provider + (f": {frame.label}" if frame.label else "")
        return frame_to_dataframe(frame), source
