"""Start-up warm-up: compile (or load from NUMBA_CACHE_DIR) every kernel on tiny data."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd


def _tiny(n: int = 120, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0005, 0.02, n)))
    open_ = close * np.exp(rng.normal(0.0, 0.005, n))
    high = np.maximum(open_, close) * 1.01
    low = np.minimum(open_, close) * 0.99
    idx = pd.date_range("2020-01-01", periods=n, freq="D", tz="UTC")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": 1000.0}, index=idx
    )


def warmup() -> float:
    """Exercise every numba kernel, metrics (scipy) and the calendars once; returns seconds.

    The service calls this at start-up so the first user job does not pay for compilation.
    With a kept ``NUMBA_CACHE_DIR`` the kernels load from the cache."""
    t0 = time.perf_counter()
    from vt_contracts.strategy import StrategySpec
    from vt_engine.engine import run_backtest
    from vt_engine.sweep import sma_crossover_grid
    from vt_engine.timing import periods_per_year

    df = _tiny()
    cross = {
        "kind": "crosses_above",
        "left": {"kind": "indicator", "id": "f"},
        "right": {"kind": "indicator", "id": "s"},
    }
    spec = StrategySpec.model_validate(
        {
            "name": "warmup",
            "universe": {"symbols": ["W"]},
            "indicators": [
                {"kind": "sma", "id": "f", "window": 3},
                {"kind": "sma", "id": "s", "window": 8},
            ],
            "entry": cross,
            "exit": {**cross, "kind": "crosses_below"},
            "risk": {
                "stop_loss": {"kind": "percent", "percent": 5},
                "trailing_stop": {"percent": 8},
                "take_profit": [{"gain_pct": 5, "fraction": 0.5}, {"gain_pct": 10}],
                "max_holding_bars": 20,
            },
            "scale_in": [{"move_pct": 2, "fraction": 0.3}],
        }
    )
    run_backtest(spec, {"W": df})
    sma_crossover_grid(df, np.array([3, 4]), np.array([8, 9]))
    for market in ("us_equity", "hk_equity"):
        periods_per_year(market, "1h")
    return time.perf_counter() - t0
