"""Builds an `Insight` for a symbol or a market from market data, news and the event calendar.

No SQL here (see repository.py); no HTTP framework (see router.py).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from vt_contracts import Derivation, Insight, TopAsset
from vt_kit import NotFound, ProblemError, Unprocessable
from vt_research import indicators as ind
from vt_research import regime
from vt_research.events import EventCalendar
from vt_research.marketdata import MarketDataClient, PriceHistory
from vt_research.sentiment.service import SentimentService
from vt_research.sentiment.sources import ticker_of
from vt_research.settings import Settings

log = logging.getLogger(__name__)

MARKET_PREFIX = "market:"
STALE_AFTER_DAYS = 7
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def asset_class(symbol: str) -> str:
    """market | crypto | equity (crypto pairs are written BASE/QUOTE)."""
    if symbol.lower().startswith(MARKET_PREFIX):
        return "market"
    if "/" in symbol:
        return "crypto"
    return "equity"


def periods_per_year(symbol: str) -> int:
    return 365 if asset_class(symbol) == "crypto" else 252


@dataclass
class Computed:
    insight: Insight
    scope: str


def _round(x: float | None, nd: int = 4) -> float | None:
    if x is None or math.isnan(x) or math.isinf(x):
        return None
    return round(x, nd)


def composite(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Equal-weight index: each member's OHLC divided by its first common close, then averaged
    across members on the dates all members share (volume summed)."""
    cols = ["open", "high", "low", "close"]
    common: pd.Index = pd.Index([])
    for i, f in enumerate(frames.values()):
        common = f.index if i == 0 else common.intersection(pd.Index(f.index))
    if len(common) == 0:
        return pd.DataFrame(columns=[*cols, "volume"], dtype=float)
    prices = []
    volume = np.zeros(len(common))
    for f in frames.values():
        aligned = f.reindex(common)
        values = aligned[cols].to_numpy(dtype=float)
        prices.append(values / values[0, 3])
        volume += aligned["volume"].to_numpy(dtype=float)
    out = pd.DataFrame(np.mean(prices, axis=0), index=common, columns=cols)
    out["volume"] = volume
    out.index.name = "timestamp"
    return out


class InsightService:
    def __init__(
        self,
        settings: Settings,
        market: MarketDataClient,
        sentiment: SentimentService,
        events: EventCalendar,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.market = market
        self.sentiment = sentiment
        self.events = events
        self.clock = clock

    # ---------------------------------------------------------------- data
    def _window(self, as_of: datetime) -> tuple[datetime, datetime]:
        return as_of - timedelta(days=self.settings.lookback_days), as_of

    async def _history(self, symbol: str, as_of: datetime) -> PriceHistory:
        """Bars up to `as_of` within the lookback; when the range holds too few bars (e.g. an
        offline sample that ends years before as_of) fall back to the latest bars before as_of."""
        start, end = self._window(as_of)
        hist = await self.market.history(symbol, start, end)
        if len(hist.frame) < regime.MIN_BARS:
            hist = await self.market.history(symbol, EPOCH, end)
        frame = hist.frame[hist.frame.index <= pd.Timestamp(as_of)]
        if len(frame):
            first = frame.index[-1] - pd.Timedelta(days=self.settings.lookback_days)
            frame = frame[frame.index > first]
        if len(frame) < regime.MIN_BARS:
            raise Unprocessable(
                f"{symbol} has {len(frame)} daily bars up to {as_of.date().isoformat()}; an insight "
                f"needs at least {regime.MIN_BARS}. Pick a later as_of or a symbol with more history.",
                slug="insufficient-history",
                title="Not enough price history",
            )
        return PriceHistory(hist.symbol, frame, hist.provider, hist.label, hist.quality_issues)

    async def _optional_histories(
        self, symbols: list[str], as_of: datetime
    ) -> tuple[dict[str, PriceHistory], list[str]]:
        results = await asyncio.gather(
            *(self._history(s, as_of) for s in symbols), return_exceptions=True
        )
        ok: dict[str, PriceHistory] = {}
        failed: list[str] = []
        for s, r in zip(symbols, results, strict=True):
            if isinstance(r, PriceHistory):
                ok[s] = r
            elif isinstance(r, ProblemError):
                failed.append(f"{s}: {r.detail[:120]}")
            elif isinstance(r, BaseException):
                failed.append(f"{s}: {type(r).__name__}")
        return ok, failed

    async def _vix(
        self, as_of: datetime, last_bar: pd.Timestamp
    ) -> tuple[float | None, str | None]:
        if not self.settings.vix_enabled:
            return None, "VIX disabled (VT_RESEARCH_VIX=false)"
        start, end = self._window(as_of)
        try:
            hist = await self.market.history(
                self.settings.vix_symbol, start, end, remember_failure=True
            )
        except ProblemError as exc:
            return (
                None,
                f"{self.settings.vix_symbol} not available from market-data: {exc.detail[:160]}",
            )
        frame = hist.frame[hist.frame.index <= pd.Timestamp(as_of)]
        if frame.empty:
            return None, f"{self.settings.vix_symbol} has no bars up to as_of"
        gap = abs((frame.index[-1] - last_bar).days)
        if gap > STALE_AFTER_DAYS:
            return None, (
                f"{self.settings.vix_symbol} last bar {frame.index[-1].date()} is {gap} days away "
                "from the price data's last bar"
            )
        return float(frame["close"].iloc[-1]), None

    # ------------------------------------------------------------- compute
    async def compute(self, symbol: str, as_of: datetime | None = None) -> Computed:
        now = self.clock()
        when = as_of or now
        if symbol.lower().startswith(MARKET_PREFIX):
            return await self._compute_market(symbol, when, now)
        return await self._compute_symbol(symbol, when, now)

    def _benchmark_symbols(self, exclude: str) -> list[str]:
        if self.settings.benchmark == "universe":
            return [s for s in self.settings.universe if s != exclude]
        return [self.settings.benchmark]

    async def _benchmark(
        self, symbol: str, as_of: datetime, cache: dict[str, PriceHistory]
    ) -> tuple[pd.Series | None, str, str | None]:
        """Benchmark closes, its name, and why it is missing (if it is)."""
        members = self._benchmark_symbols(symbol)
        if not members:
            return None, self.settings.benchmark, "the benchmark universe has no other symbol"
        need = [m for m in members if m not in cache]
        found, failed = await self._optional_histories(need, as_of)
        cache.update(found)
        frames = {m: cache[m].frame for m in members if m in cache}
        if self.settings.benchmark != "universe":
            name = self.settings.benchmark
            if name not in frames:
                return None, name, "; ".join(failed) or "benchmark unavailable"
            return frames[name]["close"], name, None
        name = "universe equal-weight (" + ",".join(sorted(frames)) + ")"
        if not frames:
            return None, "universe equal-weight", "; ".join(failed) or "no member available"
        return composite(frames)["close"], name, None

    def _top_assets(self, members: dict[str, PriceHistory]) -> tuple[list[TopAsset], Derivation]:
        ranked: list[tuple[str, float]] = []
        for s, h in members.items():
            m = regime.compute_momentum(h.frame["close"]).momentum_pct
            if m is not None:
                ranked.append((s, m))
        ranked.sort(key=lambda x: x[1], reverse=True)
        top = [TopAsset(symbol=s, momentum_pct=m) for s, m in ranked[: self.settings.top_n]]
        return top, Derivation(
            formula=(
                f"universe ranked by momentum_pct = (close_t / close_(t-{regime.MOMENTUM_BARS}) - 1) * 100, "
                f"descending, first {self.settings.top_n}"
            ),
            inputs={s: m for s, m in ranked},
        )

    async def _common(
        self,
        symbol: str,
        ticker: str | None,
        as_of: datetime,
        now: datetime,
        frame: pd.DataFrame,
        hist_meta: dict[str, float | str | None],
        universe: dict[str, PriceHistory],
        universe_failed: list[str],
        bench: pd.Series | None,
        bench_name: str | None,
        bench_reason: str | None,
        scope: str,
    ) -> Insight:
        last_bar = frame.index[-1]
        # Events are looked up as of the data's date: an offline sample that ends in 2013 is
        # judged against the 2013 calendar, never against this week's macro events.
        events_as_of = min(as_of, last_bar.to_pydatetime())
        use_vix = asset_class(symbol) in ("equity", "market")
        vix_task = self._vix(as_of, last_bar) if use_vix else _none_vix()
        (vix, vix_reason), sentiment, events = await asyncio.gather(
            vix_task,
            self.sentiment.assess(symbol, as_of, now, market_wide=scope == "market"),
            self.events.check(events_as_of, ticker),
        )
        analysis = regime.analyse(frame, periods_per_year(symbol), vix, vix_reason)
        derivations: dict[str, Derivation] = {
            "trend_state": analysis.trend.derivation,
            "volatility_regime": analysis.vol.derivation,
            "momentum_pct": analysis.momentum.derivation,
            "drawdown_pct": analysis.drawdown.derivation,
            "sentiment_score": sentiment.derivation,
            "data": Derivation(formula="daily OHLCV from market-data", inputs=hist_meta),
        }
        corr: float | None = None
        if bench is not None:
            value, n = ind.return_correlation(frame["close"], bench, regime.CORRELATION_WINDOW)
            corr = _round(value)
            derivations["correlation_to_benchmark"] = Derivation(
                formula=f"Pearson correlation of daily log returns over the last {regime.CORRELATION_WINDOW} shared dates",
                inputs={"benchmark": bench_name, "returns_used": float(n), "correlation": corr},
            )
        else:
            derivations["correlation_to_benchmark"] = Derivation(
                formula="not computed: " + (bench_reason or "no benchmark"),
                inputs={"benchmark": bench_name},
            )
        top, top_derivation = self._top_assets(universe)
        if universe_failed:
            top_derivation.inputs["skipped"] = "; ".join(universe_failed)[:400]
        derivations["top_assets"] = top_derivation

        reasons = list(events.reasons)
        if analysis.vol.regime == "extreme":
            reasons.append(
                f"volatility regime extreme (rv20 percentile {analysis.vol.percentile}, VIX {vix})"
            )
        if analysis.drawdown.state == "bear":
            reasons.append(f"drawdown {analysis.drawdown.drawdown_pct} % from the window high")
        stale_days = (pd.Timestamp(as_of) - last_bar).days
        if stale_days > STALE_AFTER_DAYS:
            reasons.append(
                f"price data ends {last_bar.date().isoformat()}, {stale_days} days before as_of"
            )
        risk_inputs: dict[str, float | str | None] = {
            "event_window_days": float(self.events.window_days),
            "events_as_of": events_as_of.date().isoformat(),
            "calendar": self.events.path.name,  # the file's name, never a server path
            "events_found": float(len(events.events)),
        }
        if events.notes:
            risk_inputs["notes"] = "; ".join(events.notes)[:400]
        derivations["risk_flag"] = Derivation(
            formula=(
                f"true if an economic or earnings event is within {self.events.window_days} day(s) of "
                "the last price bar (as_of when the data is current), volatility regime is extreme, drawdown <= -20 %, or the price data is more "
                f"than {STALE_AFTER_DAYS} days older than as_of"
            ),
            inputs=risk_inputs,
        )
        rec = regime.recommend(
            analysis.trend.state, analysis.vol.regime, corr, event_risk=bool(events.events)
        )
        derivations["recommended_strategy_types"] = rec.derivation
        return Insight(
            symbol=symbol,
            as_of=as_of,
            sentiment_score=sentiment.score,
            sentiment_reason=sentiment.reason,
            trend_state=analysis.trend.state,
            volatility_regime=analysis.vol.regime,
            momentum_pct=analysis.momentum.momentum_pct,
            drawdown_pct=analysis.drawdown.drawdown_pct,
            correlation_to_benchmark=corr,
            benchmark=bench_name,
            top_assets=top,
            risk_flag=bool(reasons),
            risk_reasons=reasons,
            recommended_strategy_types=rec.types,
            derivations=derivations,
        )

    async def _compute_symbol(self, symbol: str, as_of: datetime, now: datetime) -> Computed:
        hist = await self._history(
            symbol, as_of
        )  # unknown symbol -> 404 problem, before any fan-out
        cache: dict[str, PriceHistory] = {symbol: hist}
        universe_need = [s for s in self.settings.universe if s not in cache]
        (bench, bench_name, bench_reason), (found, failed) = await asyncio.gather(
            self._benchmark(symbol, as_of, cache),
            self._optional_histories(universe_need, as_of),
        )
        cache.update(found)
        universe = {s: cache[s] for s in self.settings.universe if s in cache}
        insight = await self._common(
            symbol,
            ticker_of(symbol),
            as_of,
            now,
            hist.frame,
            _meta(hist),
            universe,
            failed,
            bench,
            bench_name,
            bench_reason,
            "symbol",
        )
        return Computed(insight=insight, scope="symbol")

    async def _compute_market(self, symbol: str, as_of: datetime, now: datetime) -> Computed:
        name = symbol[len(MARKET_PREFIX) :].lower()
        members = self.settings.markets.get(name)
        if not members:
            raise NotFound(
                f"unknown market '{name}'. Configured markets: {', '.join(sorted(self.settings.markets)) or 'none'} "
                "(VT_RESEARCH_MARKETS).",
                slug="unknown-market",
                title="Unknown market",
            )
        found, failed = await self._optional_histories(members, as_of)
        if not found:
            raise_first = failed[0] if failed else "no data"
            raise Unprocessable(
                f"no member of market '{name}' has usable price data ({raise_first})",
                slug="insufficient-history",
                title="Not enough price history",
            )
        frame = composite({s: h.frame for s, h in found.items()})
        if len(frame) < regime.MIN_BARS:
            raise Unprocessable(
                f"market '{name}' members share only {len(frame)} dates; need {regime.MIN_BARS}",
                slug="insufficient-history",
                title="Not enough price history",
            )
        above = len(
            [
                h
                for h in found.values()
                if len(h.frame) >= 50
                and float(h.frame["close"].iloc[-1]) > float(ind.sma(h.frame["close"], 50).iloc[-1])
            ]
        )
        meta: dict[str, float | str | None] = {
            "members": ",".join(sorted(found)),
            "members_missing": "; ".join(failed)[:300] or None,
            "bars": float(len(frame)),
            "last_bar": frame.index[-1].isoformat(),
            "breadth_above_sma50_pct": _round(above / len(found) * 100.0, 1),
            "construction": "equal-weight mean of members' OHLC normalised by first common close",
        }
        bench: pd.Series | None = None
        bench_name: str | None = None
        bench_reason: str | None = "the market's own equal-weight composite is the benchmark"
        if self.settings.benchmark != "universe":
            extra, bfailed = await self._optional_histories([self.settings.benchmark], as_of)
            bench_name = self.settings.benchmark
            if extra:
                bench, bench_reason = extra[bench_name].frame["close"], None
            else:
                bench_reason = "; ".join(bfailed)
        insight = await self._common(
            symbol,
            None,
            as_of,
            now,
            frame,
            meta,
            found,
            failed,
            bench,
            bench_name,
            bench_reason,
            "market",
        )
        return Computed(insight=insight, scope="market")


async def _none_vix() -> tuple[float | None, str | None]:
    return None, "VIX applies to equities and markets only"


def _meta(hist: PriceHistory) -> dict[str, float | str | None]:
    return {
        "provider": hist.provider,
        "label": hist.label,
        "bars": float(len(hist.frame)),
        "first_bar": hist.frame.index[0].isoformat(),
        "last_bar": hist.frame.index[-1].isoformat(),
        "quality_issues": float(hist.quality_issues),
    }
