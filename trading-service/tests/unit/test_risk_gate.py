"""The pre-order risk gate: order of checks, reducing always passes, caps and clips."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from vt_contracts.trading import InstrumentMapping, RiskLimits
from vt_trading.ledger.planner import PlannedOrder
from vt_trading.risk.gate import (
    REASONS,
    Override,
    ProposedOrder,
    RiskContext,
    RiskDecision,
    check_order,
)

D = Decimal


def ctx(**over: object) -> RiskContext:
    base = RiskContext(
        equity=D(1_000_000),
        positions={},
        last_prices={"AAA": D(100), "BBB": D(50), "MBT": D(60000), "MCL": D(70), "INV": D(50000)},
        limits=RiskLimits(),
        risk_state="active",
        day_start_equity=D(1_000_000),
        instruments={
            "MBT": InstrumentMapping(
                signal_symbol="BTC-USD", traded_symbol="MBT", multiplier=D("0.1")
            ),
            "MCL": InstrumentMapping(signal_symbol="CL", traded_symbol="MCL", multiplier=D(100)),
            "INV": InstrumentMapping(
                signal_symbol="BTC-USD", traded_symbol="INV", multiplier=D(100), inverse=True
            ),
            "AAA": InstrumentMapping(signal_symbol="AAA", traded_symbol="AAA"),
            "BBB": InstrumentMapping(signal_symbol="BBB", traded_symbol="BBB"),
        },
    )
    return replace(base, **over)  # type: ignore[arg-type]


def buy(qty: str | int, sym: str = "AAA", **kw: object) -> ProposedOrder:
    return ProposedOrder(symbol=sym, side="buy", qty=D(qty), **kw)  # type: ignore[arg-type]


def sell(qty: str | int, sym: str = "AAA", **kw: object) -> ProposedOrder:
    return ProposedOrder(symbol=sym, side="sell", qty=D(qty), **kw)  # type: ignore[arg-type]


def test_allow_within_limits() -> None:
    d = check_order(ctx(), buy(100))
    assert d == RiskDecision("allow", D(100), "ok", REASONS["ok"])


def test_max_position_clips_to_largest_lot() -> None:
    # 5% of 1,000,000 = 50,000 = 500 shares at 100
    d = check_order(ctx(), buy(800))
    assert (d.kind, d.qty, d.reason_code) == ("clip", D(500), "max_position")
    assert "800" in d.detail
    d = check_order(ctx(positions={"AAA": D(450)}), buy(100))
    assert (d.kind, d.qty) == ("clip", D(50))
    d = check_order(ctx(positions={"AAA": D(500)}), buy(1))
    assert (d.kind, d.reason_code) == ("deny", "max_position")
    # multiplier 100: one MCL at 70 is 7000 -> 7 contracts
    assert check_order(ctx(), buy(10, "MCL")).qty == D(7)
    # multiplier 0.1: one MBT at 60000 is 6000 -> 8 contracts
    assert check_order(ctx(), buy(10, "MBT")).qty == D(8)
    # inverse: face value 100 per contract -> 500 contracts
    assert check_order(ctx(), buy(900, "INV")).qty == D(500)


def test_gross_exposure() -> None:
    # 29% already used elsewhere: 1% = 10,000 = 100 shares left
    c = ctx(positions={"BBB": D(-5800)})
    d = check_order(c, buy(300))
    assert (d.kind, d.qty, d.reason_code) == ("clip", D(100), "max_gross_exposure")
    # another symbol without a price: fail closed
    c = ctx(positions={"ZZZ": D(1)})
    assert check_order(c, buy(1)).reason_code == "no_price"


@pytest.mark.parametrize("state", ["killed", "halted", "paused", "reducing", "bogus"])
def test_non_active_states_allow_only_reducing(state: str) -> None:
    c = ctx(risk_state=state, positions={"AAA": D(300)})
    d = check_order(c, buy(10))
    assert d.kind == "deny"
    assert d.reason_code == (state if state != "bogus" else "risk_state_unknown")
    d = check_order(c, sell(300))
    assert (d.kind, d.reason_code) == ("allow", "reduces_risk")
    # crossing zero: the reducing part passes, the rest is clipped away
    d = check_order(c, sell(500))
    assert (d.kind, d.qty) == ("clip", D(300))


def test_deployment_state_counts_too() -> None:
    d = check_order(ctx(deployment_risk_state="paused"), buy(1))
    assert (d.kind, d.reason_code) == ("deny", "paused")


def test_overrides_by_level() -> None:
    held = {"AAA": D(100), "BBB": D(100)}
    no_trade = Override("no_trading", "instrument", "AAA")
    c = ctx(positions=held, overrides=[no_trade])
    assert check_order(c, sell(100)).reason_code == "override_no_trading"
    assert check_order(c, sell(100)).kind == "deny"
    assert check_order(c, sell(100, "BBB")).kind == "allow"
    dep = Override("close_only", "deployment", "d1")
    c = ctx(positions=held, overrides=[dep])
    assert check_order(c, buy(1, deployment_id="d1")).reason_code == "override_close_only"
    assert check_order(c, buy(1, deployment_id="d2")).kind == "allow"
    assert check_order(c, sell(100, deployment_id="d1")).kind == "allow"
    acct = Override("reduce_only")
    c = ctx(positions=held, overrides=[acct])
    assert check_order(c, buy(1, "BBB")).reason_code == "override_reduce_only"
    # no-trading blocks even reducing, and even when killed
    c = ctx(positions=held, overrides=[Override("no_trading")], risk_state="killed")
    d = check_order(c, sell(100))
    assert (d.kind, d.reason_code) == ("deny", "override_no_trading")
    # kill switch comes first for opening orders
    assert check_order(c, buy(1)).reason_code == "killed"
    # a deny names the check that left nothing: here the override, after the kill cut the rest
    assert check_order(c, sell(150)).reason_code == "override_no_trading"


def test_reason_is_the_binding_check() -> None:
    c = ctx(realized_today=D(-25000))  # daily loss limit reached
    assert check_order(c, buy(800)).reason_code == "daily_loss_limit"
    c = ctx(limits=RiskLimits(max_order_notional=D(1000)))
    d = check_order(c, buy(800))  # max position cuts to 500, the notional limit to 10
    assert (d.kind, d.qty, d.reason_code) == ("clip", D(10), "max_order_notional")


def test_allow_list_daily_loss_rate_notional_band() -> None:
    assert (
        check_order(ctx(allow_list=frozenset({"BBB"})), buy(1)).reason_code
        == "instrument_not_allowed"
    )
    assert (
        check_order(ctx(allow_list=frozenset({"BBB"}), positions={"AAA": D(5)}), sell(5)).kind
        == "allow"
    )
    lossy = ctx(realized_today=D(-15000), unrealized_today=D(-5000))
    assert check_order(lossy, buy(1)).reason_code == "daily_loss_limit"
    assert check_order(ctx(realized_today=D(-19999)), buy(1)).kind == "allow"
    capped = ctx(limits=RiskLimits(max_order_notional=D(2550)))
    d = check_order(capped, buy(100))
    assert (d.kind, d.qty, d.reason_code) == ("clip", D(25), "max_order_notional")
    assert check_order(ctx(orders_last_minute=60), buy(1)).reason_code == "order_rate"
    assert check_order(ctx(orders_last_minute=59), buy(1)).kind == "allow"
    far = buy(1, type="limit", limit_price=D("111"))
    assert check_order(ctx(), far).reason_code == "price_band"
    near = buy(1, type="stop", stop_price=D("90"))
    assert check_order(ctx(), near).kind == "allow"
    assert check_order(ctx(last_prices={}), buy(1)).reason_code == "no_price"
    assert check_order(ctx(equity=D(0)), buy(1)).reason_code == "no_equity"
    assert check_order(ctx(), buy(0)).reason_code == "bad_quantity"


def test_reduce_only_order_never_opens() -> None:
    c = ctx(positions={"AAA": D(30)})
    d = check_order(c, sell(50, reduce_only=True))
    assert (d.kind, d.qty, d.reason_code) == ("clip", D(30), "reduce_only_order")
    assert check_order(ctx(), sell(5, reduce_only=True)).kind == "deny"


def test_working_orders_count() -> None:
    # a working sell of 100 already flattens the 100 held: another sell opens a short
    c = ctx(positions={"AAA": D(100)}, working={"AAA": D(-100)}, risk_state="halted")
    assert check_order(c, sell(10)).kind == "deny"
    c = ctx(positions={"AAA": D(400)}, working={"AAA": D(100)})
    assert check_order(c, buy(1)).reason_code == "max_position"


def test_from_planned() -> None:
    p = PlannedOrder("AAA", "sell", D(3), True, 0, "reduce")
    o = ProposedOrder.from_planned(p, "d1")
    assert (o.symbol, o.side, o.qty, o.reduce_only, o.deployment_id) == (
        "AAA",
        "sell",
        D(3),
        True,
        "d1",
    )


SYMS = ["AAA", "BBB", "MBT", "MCL", "INV"]
UNIT = {"AAA": D(100), "BBB": D(50), "MBT": D(6000), "MCL": D(7000), "INV": D(100)}


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[RiskContext, ProposedOrder]:
    lot = draw(st.sampled_from([D(1), D(1), D("0.1"), D("0.001"), D(5)]))
    positions = {
        s: lot * draw(st.integers(-3000, 3000)) for s in draw(st.sets(st.sampled_from(SYMS)))
    }
    working = {
        s: lot * draw(st.integers(-100, 100))
        for s in draw(st.sets(st.sampled_from(SYMS), max_size=2))
    }
    base = ctx()
    instruments = {k: v.model_copy(update={"lot_size": lot}) for k, v in base.instruments.items()}
    c = ctx(
        instruments=instruments,
        equity=D(draw(st.integers(10_000, 5_000_000))),
        positions=positions,
        working=working,
        risk_state=draw(st.sampled_from(["active", "active", "active", "halted", "killed"])),
        realized_today=D(draw(st.integers(-30_000, 1000))),
        orders_last_minute=draw(st.integers(0, 70)),
        limits=RiskLimits(
            max_position_pct=draw(st.sampled_from([1.0, 5.0, 20.0])),
            max_gross_exposure_pct=draw(st.sampled_from([10.0, 30.0, 200.0])),
            max_order_notional=draw(st.sampled_from([None, D(5000), D(100_000)])),
        ),
        overrides=draw(
            st.sampled_from(
                [[], [Override("reduce_only")], [Override("no_trading", "instrument", "AAA")]]
            )
        ),
    )
    o = ProposedOrder(
        symbol=draw(st.sampled_from(SYMS)),
        side=draw(st.sampled_from(["buy", "sell"])),
        qty=lot * draw(st.integers(1, 4000)),
        reduce_only=draw(st.booleans()),
    )
    return c, o


def exposure(c: RiskContext, sym: str, extra: Decimal = Decimal(0)) -> Decimal:
    return abs(c.positions.get(sym, D(0)) + c.working.get(sym, D(0)) + extra) * UNIT[sym]


@settings(max_examples=600, deadline=None)
@given(scenarios())
def test_gate_never_lets_a_position_exceed_its_caps(sc: tuple[RiskContext, ProposedOrder]) -> None:
    c, o = sc
    d = check_order(c, o)
    assert d.reason_code in REASONS
    assert (d.kind == "deny") == (d.qty == 0)
    assert d.qty <= o.qty
    if d.kind == "allow":
        assert d.qty == o.qty
    signed = d.qty if o.side == "buy" else -d.qty
    before = exposure(c, o.symbol)
    after = exposure(c, o.symbol, signed)
    if after > before:  # the order adds risk: it must be inside every cap
        assert c.risk_state == "active"
        assert after <= c.equity * D(str(c.limits.max_position_pct)) / 100
        gross = sum((exposure(c, s) for s in SYMS if s != o.symbol), D(0)) + after
        assert gross <= c.equity * D(str(c.limits.max_gross_exposure_pct)) / 100
        assert not o.reduce_only


@settings(max_examples=600, deadline=None)
@given(scenarios(), st.booleans())
def test_clip_is_the_largest_allowed_lot_multiple(
    sc: tuple[RiskContext, ProposedOrder], plain: bool
) -> None:
    c, o = sc
    if plain:  # mostly orders that reach the caps rather than the state/override checks
        c = replace(c, risk_state="active", overrides=[])
        o = replace(o, reduce_only=False)
    d = check_order(c, o)
    event(d.kind)
    if d.kind != "clip":
        return
    at = check_order(c, replace(o, qty=d.qty))
    assert at.kind == "allow"
    lot = c.instruments[o.symbol].lot_size
    assert d.qty % lot == 0
    one_more = check_order(c, replace(o, qty=d.qty + lot))
    assert one_more.kind != "allow"
    assert one_more.qty == d.qty


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(scenarios())
def test_reducing_orders_pass_except_no_trading(sc: tuple[RiskContext, ProposedOrder]) -> None:
    c, o = sc
    held = c.positions.get(o.symbol, D(0)) + c.working.get(o.symbol, D(0))
    s = 1 if o.side == "buy" else -1
    assume(s * held < 0)
    reducing = replace(o, qty=min(o.qty, abs(held)))
    d = check_order(c, reducing)
    blocked = any(
        ov.mode == "no_trading" and (ov.level == "account" or ov.target == o.symbol)
        for ov in c.overrides
    )
    if blocked:
        assert (d.kind, d.reason_code) == ("deny", "override_no_trading")
    else:
        assert (d.kind, d.qty) == ("allow", reducing.qty)
