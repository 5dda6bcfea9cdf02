"""Research rigour: how much of a backtest's result is luck.

* `bootstrap_trades`: resample the closed round trips' P&L with replacement (a seeded bootstrap,
  so a result is reproducible) into many alternative trade sequences; gives a confidence band on
  the trade-by-trade equity, the spread of final returns and of maximum drawdowns, and the
  probability of a drawdown at least as deep as the observed one.
* `deflated_sharpe`: the Deflated Sharpe Ratio of Bailey & Lopez de Prado (2014), the probability
  that the true Sharpe ratio is above zero once the non-normality of the returns and the number
  of variants tried (versions, parameter sweeps) are accounted for. With one trial it is the
  Probabilistic Sharpe Ratio.

Pure numpy/scipy; undefined values are None, never NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vt_contracts.backtest import DeflatedSharpeReport, Robustness, TradeBootstrap
from vt_engine import metrics as mx
from vt_engine.metrics import num

EULER_GAMMA = 0.5772156649015329


@dataclass(frozen=True)
class Bootstrap:
    paths: int
    trades: int
    band_pct: tuple[float, float]  # the percentiles of the band, e.g. (5, 95)
    equity_low: list[float]  # equity after each trade, lower percentile
    equity_median: list[float]
    equity_high: list[float]
    final_return_pct: tuple[float, float, float]  # low, median, high percentile
    max_drawdown_pct: tuple[float, float, float]
    observed_max_drawdown_pct: float  # of the observed trade sequence
    prob_drawdown_at_least_observed: float
    prob_loss: float


def _max_drawdown_pct(paths: np.ndarray, init_cash: float) -> np.ndarray:
    """Largest fall from the running peak (initial capital included) of each row, percent."""
    peak = np.maximum.accumulate(np.maximum(paths, init_cash), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, 1.0 - paths / peak, 1.0)
    return np.asarray(np.clip(dd.max(axis=1), 0.0, 1.0) * 100.0)


def bootstrap_trades(
    pnl: np.ndarray,
    init_cash: float,
    *,
    paths: int = 1000,
    band_pct: tuple[float, float] = (5.0, 95.0),
    seed: int = 0,
    max_cells: int = 2_000_000,
) -> Bootstrap | None:
    """Bootstrap of the round trips' P&L (account currency, in the order they closed). None
    with fewer than two trades. `max_cells` bounds paths x trades (memory)."""
    pnl = np.asarray(pnl, dtype=np.float64)
    pnl = pnl[np.isfinite(pnl)]
    t = len(pnl)
    if t < 2 or init_cash <= 0:
        return None
    paths = max(100, min(paths, max_cells // t))
    rng = np.random.default_rng(seed)
    draws = pnl[rng.integers(0, t, size=(paths, t))]
    eq = init_cash + np.cumsum(draws, axis=1)
    lo, hi = band_pct
    q = np.percentile(eq, [lo, 50.0, hi], axis=0)
    final = (eq[:, -1] / init_cash - 1.0) * 100.0
    mdd = _max_drawdown_pct(eq, init_cash)
    observed = float(_max_drawdown_pct((init_cash + np.cumsum(pnl))[None, :], init_cash)[0])
    fq = np.percentile(final, [lo, 50.0, hi])
    dq = np.percentile(mdd, [lo, 50.0, hi])
    return Bootstrap(
        paths=paths,
        trades=t,
        band_pct=(lo, hi),
        equity_low=q[0].tolist(),
        equity_median=q[1].tolist(),
        equity_high=q[2].tolist(),
        final_return_pct=(float(fq[0]), float(fq[1]), float(fq[2])),
        max_drawdown_pct=(float(dq[0]), float(dq[1]), float(dq[2])),
        observed_max_drawdown_pct=observed,
        prob_drawdown_at_least_observed=float(np.mean(mdd >= observed - 1e-9)),
        prob_loss=float(np.mean(final < 0.0)),
    )


@dataclass(frozen=True)
class DeflatedSharpe:
    sharpe: float  # per period (not annualised)
    sharpe_annual: float
    expected_max_sharpe: float  # per period: the best Sharpe expected from n_trials of luck
    expected_max_sharpe_annual: float
    n_trials: int
    observations: int
    skewness: float
    kurtosis: float  # not excess: 3 for normal returns
    probabilistic_sharpe: float  # P(true Sharpe > 0), one trial
    deflated_sharpe: float  # P(true Sharpe > expected_max_sharpe)


def expected_max_sharpe(n_trials: int, variance: float) -> float:
    """E[max Sharpe] of `n_trials` independent strategies with true Sharpe 0 whose estimated
    Sharpe ratios have `variance` (False Strategy Theorem)."""
    from scipy.special import ndtri

    if n_trials <= 1 or variance <= 0:
        return 0.0
    n = float(n_trials)
    return math.sqrt(variance) * (
        (1.0 - EULER_GAMMA) * float(ndtri(1.0 - 1.0 / n))
        + EULER_GAMMA * float(ndtri(1.0 - 1.0 / (n * math.e)))
    )


def sharpe_probability(
    sharpe: float, benchmark: float, observations: int, skewness: float, kurtosis: float
) -> float | None:
    """P(true Sharpe > benchmark) given the estimate (per period), Bailey & Lopez de Prado."""
    from scipy.special import ndtr

    if observations < 2:
        return None
    denom = 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if not denom > 0:
        return None
    z = (sharpe - benchmark) * math.sqrt(observations - 1) / math.sqrt(denom)
    return num(float(ndtr(z)))


def deflated_sharpe(
    returns: np.ndarray,
    *,
    n_trials: int = 1,
    periods_per_year: float = 252.0,
    trials_sharpe_variance: float | None = None,
) -> DeflatedSharpe | None:
    """Deflated Sharpe Ratio of per-bar `returns` after `n_trials` variants were tried.

    `trials_sharpe_variance` is the variance of the per-period Sharpe ratios across the trials;
    unknown (None), the variance of the Sharpe estimator under the null, 1 / (T - 1), is used.
    None when the returns have no spread or fewer than three observations."""
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    t = len(r)
    if t < 3:
        return None
    sd = float(np.std(r, ddof=1))
    if not sd > 1e-15:
        return None
    sr = float(np.mean(r)) / sd
    centred = r - float(np.mean(r))
    m2 = float(np.mean(centred**2))
    skew = float(np.mean(centred**3)) / m2**1.5
    kurt = float(np.mean(centred**4)) / m2**2
    n = max(1, int(n_trials))
    variance = trials_sharpe_variance if trials_sharpe_variance is not None else 1.0 / (t - 1)
    sr0 = expected_max_sharpe(n, variance)
    psr = sharpe_probability(sr, 0.0, t, skew, kurt)
    dsr = sharpe_probability(sr, sr0, t, skew, kurt)
    if psr is None or dsr is None:
        return None
    root = math.sqrt(periods_per_year)
    return DeflatedSharpe(
        sharpe=sr,
        sharpe_annual=sr * root,
        expected_max_sharpe=sr0,
        expected_max_sharpe_annual=sr0 * root,
        n_trials=n,
        observations=t,
        skewness=skew,
        kurtosis=kurt,
        probabilistic_sharpe=psr,
        deflated_sharpe=dsr,
    )


MAX_BAND_POINTS = 500


def robustness(
    trades: pd.DataFrame,
    returns: np.ndarray,
    init_cash: float,
    periods_per_year: float,
    *,
    n_trials: int = 1,
) -> Robustness:
    """The result's `robustness` block: bootstrap of the closed round trips' P&L (in order of
    entry) and the Deflated Sharpe Ratio of the bar returns."""
    boot: TradeBootstrap | None = None
    if len(trades):
        rt = mx.round_trips(trades)
        pnl = rt["pnl"].to_numpy(dtype=np.float64)[~rt["is_open"].to_numpy(dtype=bool)]
        b = bootstrap_trades(pnl, init_cash)
        if b is not None:
            step = -(-b.trades // MAX_BAND_POINTS)
            at = np.arange(step - 1, b.trades, step)
            if at[-1] != b.trades - 1:
                at = np.append(at, b.trades - 1)
            pick = at.tolist()
            boot = TradeBootstrap(
                paths=b.paths,
                trades=b.trades,
                band_low_pct=b.band_pct[0],
                band_high_pct=b.band_pct[1],
                after_trade=[i + 1 for i in pick],
                equity_low=[b.equity_low[i] for i in pick],
                equity_median=[b.equity_median[i] for i in pick],
                equity_high=[b.equity_high[i] for i in pick],
                final_return_pct_low=b.final_return_pct[0],
                final_return_pct_median=b.final_return_pct[1],
                final_return_pct_high=b.final_return_pct[2],
                max_drawdown_pct_median=b.max_drawdown_pct[1],
                max_drawdown_pct_high=b.max_drawdown_pct[2],
                observed_max_drawdown_pct=b.observed_max_drawdown_pct,
                prob_drawdown_at_least_observed=b.prob_drawdown_at_least_observed,
                prob_loss=b.prob_loss,
            )
    d = deflated_sharpe(returns, n_trials=n_trials, periods_per_year=periods_per_year)
    dsr = (
        DeflatedSharpeReport(
            sharpe_annual=d.sharpe_annual,
            expected_max_sharpe_annual=d.expected_max_sharpe_annual,
            n_trials=d.n_trials,
            observations=d.observations,
            skewness=d.skewness,
            kurtosis=d.kurtosis,
            probabilistic_sharpe=d.probabilistic_sharpe,
            deflated_sharpe=d.deflated_sharpe,
        )
        if d is not None
        else None
    )
    return Robustness(bootstrap=boot, deflated_sharpe=dsr)


def redeflate(
    report: DeflatedSharpeReport, n_trials: int, periods_per_year: float
) -> DeflatedSharpeReport:
    """The same report for another number of variants tried (a caller that counts a strategy's
    versions and sweeps after the run): only the Sharpe, the observations and the moments are
    needed, not the returns. The trials' Sharpe variance is the null estimator's, 1 / (T - 1)."""
    root = math.sqrt(periods_per_year)
    sr = report.sharpe_annual / root
    t = report.observations
    n = max(1, int(n_trials))
    sr0 = expected_max_sharpe(n, 1.0 / (t - 1))
    dsr = sharpe_probability(sr, sr0, t, report.skewness, report.kurtosis)
    return report.model_copy(
        update={
            "n_trials": n,
            "expected_max_sharpe_annual": sr0 * root,
            "deflated_sharpe": dsr if dsr is not None else report.deflated_sharpe,
        }
    )
