"""Everything computed for a validated spec: code, safety report, explanation with the signal
frequency measured on market data, and the latest market insight."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pandas as pd

from vt_contracts import StrategySpec
from vt_strategy_ai.clients import UpstreamClients
from vt_strategy_ai.schemas import Explanation, SafetyReport, SignalFrequency
from vt_strategy_ai.spec.artifacts import code_and_safety
from vt_strategy_ai.spec.explain import compute_frequency, explain, frames_needed


@dataclass
class Analysis:
    code: str | None
    safety: SafetyReport
    explanation: Explanation


async def signal_frequency(
    spec: StrategySpec,
    clients: UpstreamClients | None,
    user_id: str | None,
    enabled: bool,
    prefetched: dict[str, tuple[pd.DataFrame, str]] | None = None,
) -> SignalFrequency:
    if not enabled or clients is None:
        return SignalFrequency(
            status="not_requested",
            detail="Signal frequency was not computed (market data lookup is switched off).",
        )
    frames, provider, problem = await clients.frames(spec, frames_needed(spec), user_id, prefetched)
    if problem is not None:
        return SignalFrequency(
            status="unavailable",
            detail=f"Signal frequency unavailable: {problem}. Run a backtest once data is available.",
        )
    return await asyncio.to_thread(compute_frequency, spec, frames, provider)


async def analyse(
    spec: StrategySpec,
    *,
    clients: UpstreamClients | None,
    user_id: str | None,
    frequency: bool,
    insight: dict[str, Any] | None = None,
    prefetched: dict[str, tuple[pd.DataFrame, str]] | None = None,
) -> Analysis:
    code, safety = await asyncio.to_thread(code_and_safety, spec)
    freq = await signal_frequency(spec, clients, user_id, frequency, prefetched)
    return Analysis(code, safety, explain(spec, freq, insight))
