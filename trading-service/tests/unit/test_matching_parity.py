"""ADR 0005 at the pure level: the engine's model state + the paper matching engine, driven bar
by bar (gaps at the open, open-phase targets as market orders, protective orders resting
through the bar, close-phase decision), reproduce the backtest's orders: same timestamps,
sides, quantities, prices and fees to the cent.

Data: the offline SAMPLE:AAPL daily history (split/dividend adjusted, as the backtest
worker fetches it)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any

import pandas as pd
import pytest

from vt_contracts.examples import sma_crossover_spec
from vt_contracts.strategy import StrategySpec
from vt_engine.live import ProtectiveOrder, model_state, trim_warmup
from vt_trading.paper.matching import (
    Bar,
    CostModel,
    Execution,
    PaperOrder,
    cancelled_siblings,
    fill_market,
    match_open_gaps,
    match_range,
    to_decimal,
)

SYMBOL = "SAMPLE:AAPL"
START = "2005-01-03"
END = "2006-12-29"


@cache
def sample(ticker: str = "AAPL") -> pd.DataFrame:
    from vt_market_data.providers.offline import sample_series

    return sample_series(ticker, True).bars.to_frame()


def make_spec(**extra: Any) -> StrategySpec:
    extra.setdefault("period", {"start": START, "end": END})
    return StrategySpec.model_validate(sma_crossover_spec(SYMBOL, **extra))


def data_for(spec: StrategySpec) -> dict[str, pd.DataFrame]:
    frames = {s: sample(s.split(":")[1]) for s in spec.universe.symbols}
    trimmed, _ = trim_warmup(frames, spec, pd.Timestamp(START, tz="UTC"))
    return trimmed


def engine_orders(spec: StrategySpec, data: Mapping[str, pd.DataFrame]) -> list[tuple[Any, ...]]:
    """The order list run_backtest simulates (its own prepare -> compile -> simulate path)."""
    from vt_engine.compiler import compile_frames
    from vt_engine.engine import prepare, sim_inputs
    from vt_engine.simulator import simulate

    p = prepare(spec, data)
    inputs = sim_inputs(p, compile_frames(spec, p.frames))
    o = simulate(inputs, p.cfg).orders
    return sorted(
        (
            inputs.index[int(b)],
            p.columns[int(c)],
            "buy" if s > 0 else "sell",
            to_decimal(abs(s)),
            round(px, 2),
            round(f, 2),
        )
        for b, c, s, px, f in zip(o["bar"], o["col"], o["size"], o["price"], o["fees"], strict=True)
    )


def as_paper(po: ProtectiveOrder, group: str, n: int) -> PaperOrder:
    level = to_decimal(po.price)
    return PaperOrder(
        client_order_id=f"{group}-{po.kind}-{po.stage}-{n}",
        symbol=po.symbol,
        side=po.side,
        type="stop" if po.kind == "stop" else "limit",
        qty=to_decimal(po.qty),
        stop_price=level if po.kind == "stop" else None,
        limit_price=level if po.kind == "take_profit" else None,
        oco_group=group,
    )


def drive(spec: StrategySpec, data: Mapping[str, pd.DataFrame]) -> list[Execution]:
    """The bar step of ADR 0005 with no risk limit binding and auto review."""
    costs = CostModel.from_spec(spec)
    symbols = list(spec.universe.symbols)
    index = pd.DatetimeIndex(data[symbols[0]].index)
    start = pd.Timestamp(START, tz="UTC")
    end = pd.Timestamp(END, tz="UTC") + pd.Timedelta(days=1)
    days = index[(index >= start) & (index < end)]
    capital = spec.initial_capital
    pos = {s: Decimal(0) for s in symbols}
    resting: list[PaperOrder] = []
    fills: list[Execution] = []
    n = 0

    def book(executions: list[Execution], orders: list[PaperOrder]) -> None:
        nonlocal resting
        gone = {e.client_order_id for e in executions} | set(cancelled_siblings(orders, executions))
        resting = [o for o in resting if o.client_order_id not in gone]
        for e in executions:
            pos[e.symbol] += e.qty if e.side == "buy" else -e.qty
            fills.append(e)

    def protect(items: list[ProtectiveOrder], t: pd.Timestamp, tag: str) -> None:
        nonlocal resting, n
        n += 1
        resting = [as_paper(po, f"{po.symbol}-{tag}{t:%Y%m%d}", n) for po in items]

    for t in days:
        bars = {
            s: Bar(
                t, *(float(x) for x in data[s].loc[t, ["open", "high", "low", "close", "volume"]])
            )
            for s in symbols
        }
        # a. the open print: resting orders gapped through
        for s in symbols:
            mine = [o for o in resting if o.symbol == s]
            book(match_open_gaps(mine, bars[s], costs), mine)
        # b. open phase: targets at the open -> market orders (closing legs before opening legs)
        m = model_state(spec, data, capital=capital, start=start, through=t, phase="open")
        closing: list[PaperOrder] = []
        opening: list[PaperOrder] = []
        for s in symbols:
            cur, tgt = pos[s], to_decimal(m.positions[s])
            if tgt == cur:
                continue
            n += 1
            if cur != 0 and (tgt == 0 or (tgt > 0) != (cur > 0)):
                side = "sell" if cur > 0 else "buy"
                closing.append(PaperOrder(f"c{n}", s, side, "market", abs(cur)))
                if tgt != 0:
                    opening.append(
                        PaperOrder(f"o{n}", s, "buy" if tgt > 0 else "sell", "market", abs(tgt))
                    )
            else:
                side = "buy" if tgt > cur else "sell"
                leg = closing if abs(tgt) < abs(cur) else opening
                leg.append(PaperOrder(f"m{n}", s, side, "market", abs(tgt - cur)))
        for o in closing + opening:
            book(fill_market([o], bars[o.symbol], costs), [])
        assert {s: pos[s] for s in symbols} == {s: to_decimal(v) for s, v in m.positions.items()}
        protect(m.protective, t, "o")
        # c. the bar's range
        for s in symbols:
            mine = [o for o in resting if o.symbol == s]
            book(match_range(mine, bars[s], costs), mine)
        # d. close phase: the decision and the exits in force from the next open
        m = model_state(spec, data, capital=capital, start=start, through=t, phase="close")
        assert {s: pos[s] for s in symbols} == {s: to_decimal(v) for s, v in m.positions.items()}
        protect(m.protective, t, "c")
    return fills


def paper_orders(fills: list[Execution]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            pd.Timestamp(e.ts),
            e.symbol,
            e.side,
            e.qty,
            round(float(e.price), 2),
            round(float(e.fees), 2),
        )
        for e in fills
    )


SPECS = {
    # the README strategy: 20/50 SMA crossover with a 5% stop
    "readme_sma_5pct_stop": lambda: make_spec(
        risk={"stop_loss": {"kind": "percent", "percent": 5}}
    ),
    "staged_take_profit": lambda: make_spec(
        fast=10,
        slow=30,
        risk={
            "stop_loss": {"kind": "percent", "percent": 6},
            "take_profit": [
                {"gain_pct": 4, "fraction": 0.4},
                {"gain_pct": 8, "fraction": 0.3},
                {"gain_pct": 15, "fraction": 1.0},
            ],
        },
    ),
    # two symbols sharing one cash account: exits before entries, entries sized on equity
    "two_symbols_shared_cash": lambda: make_spec(
        fast=10,
        slow=30,
        universe={"symbols": [SYMBOL, "SAMPLE:MSFT"]},
        risk={
            "stop_loss": {"kind": "percent", "percent": 5},
            "take_profit": [{"gain_pct": 5, "fraction": 0.5}, {"gain_pct": 12, "fraction": 1.0}],
        },
    ),
    "trailing_and_atr_stop": lambda: make_spec(
        fast=10,
        slow=30,
        risk={
            "stop_loss": {"kind": "atr", "multiple": 2.5, "window": 14},
            "trailing_stop": {"percent": 7},
        },
    ),
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_paper_executions_equal_backtest_orders(name: str) -> None:
    spec = SPECS[name]()
    data = data_for(spec)
    expected = engine_orders(spec, data)
    got = paper_orders(drive(spec, data))
    assert len(expected) >= 6, "the spec should trade in the test period"
    assert {o[1] for o in expected} == set(spec.universe.symbols)
    assert got == expected


def test_parity_covers_stops_and_take_profits() -> None:
    """The parity specs exercise what they claim: stop-loss, take-profit and trailing exits."""
    import vt_engine

    reasons: set[str] = set()
    for name in SPECS:
        spec = SPECS[name]()
        result = vt_engine.run_backtest(spec, data_for(spec))
        reasons |= {t.exit_reason for t in result.trades}
    assert {"stop_loss", "take_profit", "signal"} <= reasons
    assert "trailing_stop" in reasons
