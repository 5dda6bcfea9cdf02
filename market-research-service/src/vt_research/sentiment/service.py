"""Headline sentiment for a symbol or a market: sources -> model -> mean score, or null + reason."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from vt_contracts import Derivation
from vt_research.sentiment.base import SentimentModel, SentimentUnavailable
from vt_research.sentiment.lexicon import FinVaderModel
from vt_research.sentiment.sources import Headline, NewsSources, mentions, ticker_of
from vt_research.sentiment.transformer import TransformerModel

log = logging.getLogger(__name__)

MAX_HEADLINES = 50


@dataclass
class SentimentResult:
    score: float | None
    reason: str
    derivation: Derivation


def build_model(kind: str, nltk_dir: Path, model_dir: Path | None) -> SentimentModel | None:
    """The configured model; None when sentiment is switched off (VT_SENTIMENT_MODEL=none)."""
    if kind == "none":
        return None
    if kind == "transformers":
        if model_dir is None:
            raise ValueError("VT_SENTIMENT_MODEL=transformers needs VT_SENTIMENT_MODEL_DIR")
        return TransformerModel(model_dir)
    return FinVaderModel(nltk_dir)


class SentimentService:
    def __init__(
        self,
        sources: NewsSources,
        model: SentimentModel | None,
        *,
        aliases: dict[str, list[str]],
        max_age_hours: float,
        extra_sources: list[ExtraHeadlineSource] | None = None,
    ) -> None:
        self.sources = sources
        self.model = model
        self.aliases = aliases
        self.max_age = timedelta(hours=max_age_hours)
        self.extra_sources = extra_sources or []

    async def warm(self) -> None:
        """Load the model off the event loop (NLTK imports take seconds)."""
        if self.model is not None:
            try:
                await asyncio.to_thread(self.model.score, ["warm up"])
            except SentimentUnavailable as exc:
                log.warning("sentiment model unavailable: %s", exc)

    def _null(self, reason: str, inputs: dict[str, float | str | None]) -> SentimentResult:
        return SentimentResult(None, reason, Derivation(formula="null: " + reason, inputs=inputs))

    async def assess(
        self, symbol: str, as_of: datetime, now: datetime, market_wide: bool = False
    ) -> SentimentResult:
        model_name = self.model.name if self.model is not None else "none"
        inputs: dict[str, float | str | None] = {"model": model_name}
        if self.model is None:
            return self._null("sentiment is switched off (VT_SENTIMENT_MODEL=none)", inputs)
        if now - as_of > self.max_age:
            return self._null(
                f"as_of is {as_of.date().isoformat()}, older than the {self.max_age.total_seconds() / 3600:.0f} h "
                "news window: headline sources only carry current news",
                inputs,
            )
        if not self.sources.configured and not self.extra_sources:
            return self._null(
                "no news source is configured (set VT_NEWS_FEEDS to RSS/Atom URLs or enable VT_GDELT)",
                inputs,
            )
        ticker = ticker_of(symbol)
        aliases = self.aliases.get(ticker, [])
        query = None if market_wide else " OR ".join(f'"{a}"' for a in [ticker, *aliases])
        fetched = await self.sources.fetch(None if market_wide else symbol, query)
        for extra in self.extra_sources:
            try:
                fetched.headlines.extend(await extra.headlines(ticker, market_wide))
                fetched.sources_ok += 1
            except Exception as exc:  # an optional provider failing is reported, not raised
                fetched.errors.append(f"{extra.name}: {type(exc).__name__}: {exc!s:.120}")
        inputs["sources_ok"] = float(fetched.sources_ok)
        inputs["sources_failed"] = float(len(fetched.errors))
        if fetched.errors:
            inputs["source_errors"] = "; ".join(fetched.errors)[:500]
        if fetched.sources_ok == 0:
            return self._null(
                "no news source was reachable (" + "; ".join(fetched.errors)[:300] + ")", inputs
            )
        window_start = as_of - self.max_age
        recent = [
            h
            for h in fetched.headlines
            if h.published is None or window_start <= h.published <= as_of + timedelta(hours=1)
        ]
        relevant = recent if market_wide else [h for h in recent if mentions(h, symbol, aliases)]
        relevant = _dedupe(relevant)[:MAX_HEADLINES]
        inputs["headlines_fetched"] = float(len(fetched.headlines))
        inputs["headlines_recent"] = float(len(recent))
        if not relevant:
            what = "recent headlines" if market_wide else f"recent headlines mention {ticker}"
            return self._null(
                f"no {what} ({len(fetched.headlines)} fetched from {fetched.sources_ok} source(s))",
                inputs,
            )
        try:
            scores = await asyncio.to_thread(self.model.score, [h.title for h in relevant])
        except SentimentUnavailable as exc:
            return self._null(f"the {model_name} model cannot run: {exc}", inputs)
        mean = sum(scores) / len(scores)
        inputs.update(
            {
                "headlines_scored": float(len(scores)),
                "positive": float(sum(1 for s in scores if s >= 0.05)),
                "negative": float(sum(1 for s in scores if s <= -0.05)),
                "example": relevant[0].title[:160],
            }
        )
        return SentimentResult(
            score=round(max(-1.0, min(1.0, mean)), 4),
            reason=f"mean {model_name} score of {len(scores)} headline(s) from the last {self.max_age.total_seconds() / 3600:.0f} h",
            derivation=Derivation(
                formula=f"mean(score_i) over n headlines; score_i = {model_name} score in [-1, 1]",
                inputs=inputs,
            ),
        )


def _dedupe(items: list[Headline]) -> list[Headline]:
    seen: set[str] = set()
    out = []
    for h in sorted(
        items, key=lambda h: h.published.timestamp() if h.published else 0.0, reverse=True
    ):
        key = h.title.lower()
        if key not in seen:
            seen.add(key)
            out.append(h)
    return out


class ExtraHeadlineSource:
    """A provider of headlines beyond RSS/GDELT (OpenBB)."""

    name = "extra"

    async def headlines(self, ticker: str, market_wide: bool) -> list[Headline]:
        raise NotImplementedError
