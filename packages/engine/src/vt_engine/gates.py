"""Server-owned promotion gates: named profiles and their evaluation (pure, no I/O).

Eligibility for paper or live trading is decided only by a named server profile
(`PROFILES`). A request may bring its own thresholds; they are evaluated by `what_if` into
results labelled ``profile="what_if"`` that `passed` refuses to count, so a client can explore
"what would pass with looser gates" but can never make a strategy eligible that way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from vt_contracts.backtest import (
    WHAT_IF,
    GateProfileName,
    GateResult,
    GateThresholds,
    SummaryStats,
    WalkForwardReport,
)
from vt_contracts.strategy import (
    RSI,
    BollingerBands,
    SpreadZScore,
    Stochastic,
    StrategySpec,
    ZScore,
)
from vt_contracts.trading import GateEvaluation

Style = Literal["trend_following", "mean_reversion"]
"""Strategy style; the strict profile's win-rate gate depends on it (IBKR seed)."""


@dataclass(frozen=True)
class GateProfile:
    """A named, server-owned set of gate thresholds.

    ``min_win_rate_pct`` maps a strategy style to the win rate (percent of round trips) it must
    exceed; an empty mapping means the profile has no win-rate gate.
    """

    name: str
    thresholds: GateThresholds
    min_win_rate_pct: dict[Style, float] = field(default_factory=dict)


PROFILES: dict[str, GateProfile] = {
    # The IBKR seed's gates (issue 12 / 17): the default for every deployment.
    "strict": GateProfile(
        name="strict",
        thresholds=GateThresholds(
            min_trades=30,
            min_profit_factor=1.5,
            min_sharpe=1.0,
            max_drawdown_pct=15.0,
            require_positive_oos=True,
            max_p_value=0.05,
        ),
        min_win_rate_pct={"mean_reversion": 50.0, "trend_following": 40.0},
    ),
    # For exploring on paper: fewer trades, looser edge, walk-forward not required.
    "relaxed": GateProfile(
        name="relaxed",
        thresholds=GateThresholds(
            min_trades=15,
            min_profit_factor=1.2,
            min_sharpe=0.5,
            max_drawdown_pct=25.0,
            require_positive_oos=False,
            max_p_value=0.10,
        ),
        min_win_rate_pct={"mean_reversion": 40.0, "trend_following": 30.0},
    ),
}
DEFAULT_PROFILE: GateProfileName = "strict"

_MEAN_REVERSION_KINDS = (RSI, BollingerBands, ZScore, SpreadZScore, Stochastic)


def profile(name: str) -> GateProfile:
    """The server profile called ``name``; ValueError naming the choices otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown gate profile '{name}'; choose one of {sorted(PROFILES)}"
        ) from None


def infer_style(spec: StrategySpec | None) -> Style | None:
    """Classify a spec as mean reversion or trend following (None for custom code).

    Pairs and oscillator/band/z-score indicators (RSI, Bollinger, z-scores, stochastic) read as
    mean reversion; everything else (moving averages, breakouts, momentum) as trend following.
    """
    if spec is None:
        return None
    if spec.pair is not None or any(isinstance(i, _MEAN_REVERSION_KINDS) for i in spec.indicators):
        return "mean_reversion"
    return "trend_following"


def evaluate(
    profile_name: str,
    summary_stats: SummaryStats,
    walk_forward: WalkForwardReport | None,
    *,
    style: Style | None = None,
) -> list[GateResult]:
    """Evaluate the server profile ``profile_name`` on a backtest's statistics.

    ``style`` selects the win-rate threshold; when unknown (custom code) the profile's lower
    threshold applies and the gate says so.
    """
    prof = profile(profile_name)
    results = _evaluate(prof.thresholds, prof.name, summary_stats, walk_forward)
    if prof.min_win_rate_pct:
        results.append(_win_rate(prof, summary_stats, style))
    return results


def what_if(
    thresholds: GateThresholds,
    summary_stats: SummaryStats,
    walk_forward: WalkForwardReport | None,
) -> list[GateResult]:
    """Evaluate thresholds a request supplied; labelled ``what_if``, never eligibility."""
    return _evaluate(thresholds, WHAT_IF, summary_stats, walk_forward)


def passed(results: Iterable[GateResult]) -> bool:
    """True when every gate passed and all come from one server profile (what-ifs never count)."""
    rs = list(results)
    if not rs or any(r.profile == WHAT_IF or r.profile not in PROFILES for r in rs):
        return False
    return len({r.profile for r in rs}) == 1 and all(r.passed for r in rs)


def gate_evaluation(
    profile_name: str,
    summary_stats: SummaryStats,
    walk_forward: WalkForwardReport | None,
    *,
    style: Style | None = None,
    acknowledged: bool = False,
) -> GateEvaluation:
    """The deployment-facing verdict: profile, passed, the names of failing gates."""
    results = evaluate(profile_name, summary_stats, walk_forward, style=style)
    return GateEvaluation(
        profile=profile_name,
        passed=passed(results),
        failing=[r.name for r in results if not r.passed],
        acknowledged=acknowledged,
    )


def describe_failing(results: Sequence[GateResult]) -> str:
    """One line naming each failing gate with its value and threshold (for problem details)."""
    parts = [
        f"{r.name} (value {_fmt(r.value)}, threshold {_fmt(r.threshold)})"
        for r in results
        if not r.passed
    ]
    return "; ".join(parts) if parts else "all gates pass"


def _fmt(v: float | bool | None) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return str(v).lower()
    return f"{v:.4g}"


def _ge(v: float | None, th: float) -> bool:
    return v is not None and v >= th


def _gt(v: float | None, th: float) -> bool:
    return v is not None and v > th


def _win_rate(prof: GateProfile, stats: SummaryStats, style: Style | None) -> GateResult:
    if style is None:
        th = min(prof.min_win_rate_pct.values())
        why = "strategy style unknown (custom code): the lowest style threshold applies"
    else:
        th = prof.min_win_rate_pct[style]
        why = f"threshold for {style.replace('_', ' ')}"
    return GateResult(
        name="win_rate",
        description=f"Winning round trips above {th:g}% ({why}).",
        threshold=th,
        value=stats.win_rate_pct,
        passed=_gt(stats.win_rate_pct, th),
        profile=prof.name,
    )


def _evaluate(
    g: GateThresholds, label: str, stats: SummaryStats, wf: WalkForwardReport | None
) -> list[GateResult]:
    trades = float(stats.trade_count)
    out = [
        GateResult(
            name="min_trades",
            description=f"At least {g.min_trades} closed trades (enough to judge the edge).",
            threshold=float(g.min_trades),
            value=trades,
            passed=_ge(trades, g.min_trades),
            profile=label,
        ),
        GateResult(
            name="profit_factor",
            description=f"Gross profit / gross loss above {g.min_profit_factor}.",
            threshold=g.min_profit_factor,
            value=stats.profit_factor,
            passed=_gt(stats.profit_factor, g.min_profit_factor),
            profile=label,
        ),
        GateResult(
            name="sharpe_ratio",
            description=f"Annualised Sharpe ratio above {g.min_sharpe}.",
            threshold=g.min_sharpe,
            value=stats.sharpe_ratio,
            passed=_gt(stats.sharpe_ratio, g.min_sharpe),
            profile=label,
        ),
        GateResult(
            name="max_drawdown",
            description=f"Maximum drawdown below {g.max_drawdown_pct}%.",
            threshold=g.max_drawdown_pct,
            value=stats.max_drawdown_pct,
            passed=stats.max_drawdown_pct < g.max_drawdown_pct,
            profile=label,
        ),
    ]
    if wf is None:
        out.append(
            GateResult(
                name="out_of_sample",
                description="Walk-forward out-of-sample return must be positive. No walk-forward ran, so this gate has no value and does not pass; run with walk_forward to evaluate it."
                if g.require_positive_oos
                else "Walk-forward out-of-sample return (not required by these thresholds); no walk-forward ran.",
                threshold=g.require_positive_oos,
                value=None,
                passed=not g.require_positive_oos,
                profile=label,
            )
        )
    else:
        v = wf.oos_total_return_pct
        out.append(
            GateResult(
                name="out_of_sample",
                description="Stitched walk-forward out-of-sample return (percent) must be positive."
                if g.require_positive_oos
                else "Stitched walk-forward out-of-sample return (percent); not required.",
                threshold=g.require_positive_oos,
                value=v,
                passed=(v > 0) if g.require_positive_oos else True,
                profile=label,
            )
        )
    p = stats.trade_p_value
    out.append(
        GateResult(
            name="p_value",
            description=f"One-sided t-test p-value of trade returns (mean > 0) below {g.max_p_value}.",
            threshold=g.max_p_value,
            value=p,
            passed=p is not None and p < g.max_p_value,
            profile=label,
        )
    )
    return out
