"""The simulator adapter: decision-bar signals + prices -> fills, equity, trades.

One entry point, :func:`simulate`, with two interchangeable backends:

* ``"native"`` (default) - the event-driven numba kernel in ``vt_engine._kernels``. It covers
  everything a StrategySpec can express (stops, trailing stops, staged take-profit, scale-in,
  max holding, sizing modes, shared cash, pairs).
* ``"vectorbt"`` - ``vectorbt.Portfolio.from_signals`` driven with the same conventions
  (signals shifted one bar and filled at the open). It supports the subset vectorbt can
  express natively (percent/all-in or fixed-cash sizing, percent stop loss, trailing stop,
  a single take-profit stage). Tests prove both backends produce the same fills and equity,
  and :func:`replay_with_vectorbt` re-books any native order list through
  ``Portfolio.from_orders`` to prove the accounting in the general case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from vt_engine.errors import EngineError

REASONS: dict[int, str] = {
    0: "signal",
    1: "stop_loss",
    2: "trailing_stop",
    3: "take_profit",
    4: "max_holding",
    5: "end_of_data",
    6: "reverse",
    -1: "entry",
    -2: "scale_in",
}

# object-dtype column labels, built once: with pandas 3 every DataFrame built from a dict with
# string keys would otherwise create an Arrow string index (measurable per backtest)
_ORDER_COLS = pd.Index(["bar", "col", "size", "price", "fees", "reason"], dtype=object)
_TRADE_COLS = pd.Index(
    [
        "col",
        "direction",
        "entry_bar",
        "entry_price",
        "exit_bar",
        "exit_price",
        "size",
        "pnl",
        "return_pct",
        "fees",
        "reason",
        "is_open",
    ],
    dtype=object,
)


def _frame(arrays: Sequence[np.ndarray], columns: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(dict(zip(columns, arrays, strict=True)), columns=columns, copy=False)


SIZING_KIND = {"percent_equity": 0, "fixed_cash": 1, "volatility_target": 2, "kelly": 3}


@dataclass(frozen=True)
class SimConfig:
    """Execution settings, all as fractions (not percent)."""

    init_cash: float = 100_000.0
    commission: float = 0.0  # fraction of traded value
    commission_fixed: float = 0.0  # per order, account currency
    slippage: float = 0.0  # fraction of price, adverse
    fill: Literal["next_open", "close"] = "next_open"
    fractional: bool = False
    sizing: str = "percent_equity"
    size_a: float = (
        1.0  # percent: fraction of equity; fixed_cash: amount; vol: target vol; kelly: fraction
    )
    size_b: float = 1.0  # vol: max leverage; kelly: max fraction
    size_c: float = 0.0  # kelly: min trades
    size_d: float = 0.1  # kelly: fallback fraction
    stop_kind: Literal["none", "percent", "atr"] = "none"
    stop_value: float = 0.0  # percent: fraction; atr: multiple
    trailing: float = 0.0  # fraction
    tp_gains: tuple[float, ...] = ()  # fractions
    tp_fracs: tuple[float, ...] = ()
    scale_moves: tuple[float, ...] = ()  # fractions
    scale_fracs: tuple[float, ...] = ()
    max_hold: int = 0
    pair: bool = False
    risk_on_entry_bar: bool = True  # check stops/take-profits on the bar the entry filled in


@dataclass
class SimInputs:
    """Aligned arrays, shape (bars, columns)."""

    index: pd.DatetimeIndex
    columns: list[str]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    entries: np.ndarray
    exits: np.ndarray
    short_entries: np.ndarray
    short_exits: np.ndarray
    weights: np.ndarray
    atr: np.ndarray | None = None
    vol: np.ndarray | None = None
    beta: np.ndarray | None = None
    start_bar: int = 0


@dataclass(frozen=True)
class FinalState:
    """The kernel's per-column state after the last bar (arrays of length ``columns``), for
    vt_engine.live: what the engine holds and which protective levels are in force."""

    pos: np.ndarray  # signed units
    avg: np.ndarray  # average entry price
    ref: np.ndarray  # first fill price (stop / take-profit / scale-in reference)
    sl_dist: np.ndarray  # fixed stop distance from ref (price units; inf = no stop)
    best: np.ndarray  # trailing-stop peak (highest high of a long / lowest low of a short)
    tp_next: np.ndarray  # next take-profit stage
    peak: np.ndarray  # largest absolute size of the open position
    pend: np.ndarray  # pending action decided at the last close (LIVE_CLOSE)
    pend_reason: np.ndarray
    si_next: np.ndarray  # next scale-in tranche
    full: np.ndarray  # planned full size (scale-in)
    ebar: np.ndarray  # entry bar (relative to the simulated slice)


@dataclass
class SimResult:
    index: pd.DatetimeIndex
    columns: list[str]
    equity: np.ndarray
    cash: np.ndarray
    exposure: np.ndarray
    orders: pd.DataFrame
    trades: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    final: FinalState | None = None


def _b(a: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(a, dtype=np.bool_)
    # numba compiles a separate specialisation for read-only arrays (pandas 3 hands those
    # out): always pass writable ones so the cached kernel is the one used
    return out if out.flags.writeable else out.copy()


def _f(a: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(a, dtype=np.float64)
    return out if out.flags.writeable else out.copy()


def simulate(
    inputs: SimInputs,
    cfg: SimConfig,
    *,
    backend: Literal["native", "vectorbt"] = "native",
    live_last: int = 0,
) -> SimResult:
    """Run the portfolio simulation. ``live_last`` (native only, for vt_engine.live) treats the
    last bar as an open print (1) or decides at its close (2); 0 is the backtest."""
    if backend == "vectorbt":
        return _simulate_vectorbt(inputs, cfg)
    from vt_engine._kernels import simulate_nb

    n, k = inputs.close.shape
    if n == 0:
        raise EngineError("empty_data", "no bars to simulate")
    nan = np.full((n, k), np.nan)
    atr = _f(inputs.atr) if inputs.atr is not None else nan
    vol = _f(inputs.vol) if inputs.vol is not None else nan
    beta = _f(inputs.beta) if inputs.beta is not None else nan
    stop_kind = {"none": 0, "percent": 1, "atr": 2}[cfg.stop_kind]
    extra = 2 + len(cfg.tp_gains) + len(cfg.scale_moves)
    cap = max(1024, (n * k) // 8)
    while True:
        out = simulate_nb(
            _f(inputs.open),
            _f(inputs.high),
            _f(inputs.low),
            _f(inputs.close),
            _b(inputs.entries),
            _b(inputs.exits),
            _b(inputs.short_entries),
            _b(inputs.short_exits),
            atr,
            vol,
            beta,
            _f(inputs.weights),
            float(cfg.init_cash),
            float(cfg.commission),
            float(cfg.commission_fixed),
            float(cfg.slippage),
            cfg.fill == "close",
            bool(cfg.fractional),
            SIZING_KIND[cfg.sizing],
            float(cfg.size_a),
            float(cfg.size_b),
            float(cfg.size_c),
            float(cfg.size_d),
            stop_kind,
            float(cfg.stop_value),
            float(cfg.trailing),
            np.asarray(cfg.tp_gains, dtype=np.float64),
            np.asarray(cfg.tp_fracs, dtype=np.float64),
            np.asarray(cfg.scale_moves, dtype=np.float64),
            np.asarray(cfg.scale_fracs, dtype=np.float64),
            int(cfg.max_hold),
            bool(cfg.pair),
            bool(cfg.risk_on_entry_bar),
            int(inputs.start_bar),
            int(cap),
            int(live_last),
        )
        if not out[5]:
            break
        cap = n * k * extra + 64
    equity, cash, exposure, o, tr, _, final = out
    orders = _frame(o, _ORDER_COLS)
    trades = _frame(tr, _TRADE_COLS)
    return SimResult(
        inputs.index,
        inputs.columns,
        equity,
        cash,
        exposure,
        orders,
        trades,
        final=FinalState(*final),
    )


# ------------------------------------------------------------------------------------------
# vectorbt backend
# ------------------------------------------------------------------------------------------


def vectorbt_supports(cfg: SimConfig) -> str | None:
    """None when vectorbt's from_signals can express ``cfg``, else the reason it cannot."""
    if cfg.pair:
        return "pairs"
    if cfg.sizing not in ("percent_equity", "fixed_cash"):
        return f"sizing '{cfg.sizing}'"
    if cfg.sizing == "percent_equity" and cfg.size_a != 1.0:
        return "percent sizing below 100% (vectorbt sizes by available cash)"
    if cfg.stop_kind == "atr":
        return "ATR stops"
    if cfg.stop_kind == "percent" and cfg.trailing > 0:
        return "a fixed stop together with a trailing stop"
    if len(cfg.tp_gains) > 1 or any(f < 1.0 for f in cfg.tp_fracs[:-1]):
        return "staged take-profit"
    if cfg.scale_moves:
        return "scale-in"
    if cfg.max_hold:
        return "max holding bars"
    if (
        cfg.risk_on_entry_bar
        and cfg.fill == "next_open"
        and (cfg.stop_kind != "none" or cfg.trailing or cfg.tp_gains)
    ):
        return "stops checked on the entry bar (vectorbt starts checking on the bar after the fill; set risk_on_entry_bar=False)"
    return None


def _simulate_vectorbt(inputs: SimInputs, cfg: SimConfig) -> SimResult:
    import vectorbt as vbt

    why = vectorbt_supports(cfg)
    if why is not None:
        raise EngineError("unsupported", f"the vectorbt backend cannot express {why}")
    n, k = inputs.close.shape
    idx = inputs.index
    cols = pd.Index(inputs.columns)

    def frame(a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(a, index=idx, columns=cols)

    ent = inputs.entries.copy()
    ex = inputs.exits.copy()
    sent = inputs.short_entries.copy()
    sex = inputs.short_exits.copy()
    for a in (ent, ex, sent, sex):
        a[: inputs.start_bar] = False
    if cfg.fill == "next_open":
        # decide on bar t, fill at the open of t+1
        def shift(a: np.ndarray) -> np.ndarray:
            out = np.zeros_like(a)
            out[1:] = a[:-1]
            return out

        ent, ex, sent, sex = shift(ent), shift(ex), shift(sent), shift(sex)
        price = inputs.open
    else:
        price = inputs.close
    size: Any
    size_type: Any
    if cfg.sizing == "fixed_cash":
        # same convention as the native kernel: the amount pays units, commission and fixed fee
        fill_px = price * (1.0 + cfg.slippage)
        size = ((cfg.size_a - cfg.commission_fixed) / (1.0 + cfg.commission)) / fill_px
        if not cfg.fractional:
            size = np.floor(size)
        size = frame(size)
        size_type = "amount"
    else:
        size, size_type = np.inf, "amount"
    kwargs: dict[str, Any] = {}
    if cfg.stop_kind == "percent":
        kwargs["sl_stop"] = cfg.stop_value
    if cfg.trailing > 0:
        kwargs["sl_stop"] = cfg.trailing
        kwargs["sl_trail"] = True
    if cfg.tp_gains:
        kwargs["tp_stop"] = cfg.tp_gains[0]
    if kwargs:
        kwargs["stop_entry_price"] = "fillprice"
        kwargs["stop_exit_price"] = "stopmarket"  # stop fills pay slippage
    pf = vbt.Portfolio.from_signals(
        frame(inputs.close),
        entries=frame(ent),
        exits=frame(ex),
        short_entries=frame(sent),
        short_exits=frame(sex),
        price=frame(price),
        open=frame(inputs.open),
        high=frame(inputs.high),
        low=frame(inputs.low),
        size=size,
        size_type=size_type,
        fees=cfg.commission,
        fixed_fees=cfg.commission_fixed,
        slippage=cfg.slippage,
        size_granularity=np.nan if cfg.fractional else 1.0,
        init_cash=cfg.init_cash,
        cash_sharing=True,
        group_by=True,
        call_seq="auto",
        upon_opposite_entry="reverse",
        freq=None,
        **kwargs,
    )
    value = np.asarray(pf.value()).reshape(-1)
    cash = np.asarray(pf.cash()).reshape(-1)
    rec = pf.orders.records
    side = np.where(rec["side"] == 0, 1.0, -1.0)
    orders = pd.DataFrame(
        {
            "bar": rec["idx"].astype(np.int64),
            "col": rec["col"].astype(np.int64),
            "size": side * rec["size"],
            "price": rec["price"],
            "fees": rec["fees"],
            "reason": np.zeros(len(rec), dtype=np.int64),
        }
    )
    pos = np.asarray(pf.assets()).reshape(n, k)
    return SimResult(
        idx,
        list(inputs.columns),
        value,
        cash,
        (pos != 0).any(axis=1),
        orders,
        pd.DataFrame(),
        meta={"portfolio": pf},
    )


def replay_with_vectorbt(
    inputs: SimInputs, cfg: SimConfig, orders: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Book an order list (from the native kernel) through ``Portfolio.from_orders`` and
    return (equity, cash). Orders on the same bar and column are booked in sequence by
    giving vectorbt one column per (column, order-slot) and sharing cash."""
    import vectorbt as vbt

    n, k = inputs.close.shape
    if len(orders) == 0:
        return np.full(n, cfg.init_cash), np.full(n, cfg.init_cash)
    slot = orders.groupby(["bar", "col"]).cumcount().to_numpy()
    nslots = int(slot.max()) + 1
    size = np.full((n, k * nslots), np.nan)
    price = np.full((n, k * nslots), np.nan)
    fees_frac = np.zeros((n, k * nslots))
    close = np.repeat(inputs.close, nslots, axis=1)
    for (bar, col, sz, px, fee), s in zip(
        orders[["bar", "col", "size", "price", "fees"]].itertuples(index=False, name=None),
        slot,
        strict=True,
    ):
        j = int(col) * nslots + int(s)
        size[int(bar), j] = sz
        price[int(bar), j] = px
        fees_frac[int(bar), j] = (fee - cfg.commission_fixed) / (abs(sz) * px)
    # book the orders of each bar in the native kernel's sequence
    total = k * nslots
    call_seq = np.tile(np.arange(total, dtype=np.int64), (n, 1))
    jcol = orders["col"].to_numpy() * nslots + slot
    bars = orders["bar"].to_numpy()
    for bar in np.unique(bars):
        seq = list(jcol[bars == bar])
        rest = [j for j in range(total) if j not in seq]
        call_seq[bar] = np.asarray(seq + rest, dtype=np.int64)
    pf = vbt.Portfolio.from_orders(
        close,
        size=size,
        price=price,
        fees=fees_frac,
        fixed_fees=cfg.commission_fixed,
        size_type="amount",
        init_cash=cfg.init_cash,
        cash_sharing=True,
        group_by=np.zeros(k * nslots, dtype=np.int64),
        call_seq=call_seq,
        freq=None,
    )
    return np.asarray(pf.value()).reshape(-1), np.asarray(pf.cash()).reshape(-1)


def stack(frames: Sequence[pd.DataFrame], field_name: str) -> np.ndarray:
    return np.column_stack([f[field_name].to_numpy(dtype=np.float64) for f in frames])


def signals_matrix(sigs: Mapping[str, Any], keys: Sequence[str], attr: str) -> np.ndarray:
    return np.column_stack([sigs[key].__getattribute__(attr).to_numpy(dtype=bool) for key in keys])
