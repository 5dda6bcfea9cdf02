"""Circuit breakers, kill switch, flatten latch, persistence and fail-closed parsing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vt_contracts.trading import RiskLimits
from vt_db.trading_models import DeploymentRow
from vt_trading.risk.breakers import (
    SEVERITY,
    BreakerState,
    EquitySnapshot,
    breakers,
    clear,
    evaluate,
    halt,
    kill,
    latch_flatten,
    needs_flatten,
    rearm,
    risk_state,
    set_reducing,
)
from vt_trading.trading.risk import breaker_clock

D = Decimal
MON = datetime(2024, 1, 8, 15, 0, tzinfo=UTC)  # a Monday
LIMITS = RiskLimits()


def snap(equity: str | Decimal, at: datetime, *pnl: str) -> EquitySnapshot:
    return EquitySnapshot(equity=D(equity), at=at, realized_trade_pnl=tuple(D(p) for p in pnl))


def roundtrip(s: BreakerState) -> BreakerState:
    return BreakerState.from_dict(json.loads(json.dumps(s.to_dict())))


def test_daily_loss_halts_until_next_session() -> None:
    s = BreakerState.initial(D(100_000), MON)
    s, ev = evaluate(s, snap("97500", MON + timedelta(hours=1)), LIMITS, MON)
    assert s.state == "active"
    assert ev == []
    s, ev = evaluate(s, snap("96999", MON + timedelta(hours=2)), LIMITS, MON)
    assert s.state == "halted"
    assert s.halt_kind == "daily"
    assert [e.kind for e in ev] == ["tripped_daily"]
    # recovering inside the session does not lift it
    s, _ = evaluate(s, snap("99000", MON + timedelta(hours=3)), LIMITS, MON)
    assert s.state == "halted"
    s, ev = evaluate(s, snap("99000", MON + timedelta(days=1)), LIMITS, MON + timedelta(days=1))
    assert s.state == "active"
    assert "halt_lifted" in [e.kind for e in ev]
    assert s.day_start_equity == D(99000)


def test_weekly_loss_needs_a_person() -> None:
    s = BreakerState.initial(D(100_000), MON)
    t = MON
    for eq in ("98000", "96000", "94000", "92900"):  # < 3% a day, 7.1% over the week
        t += timedelta(days=1)
        s, _ = evaluate(s, snap(eq, t), LIMITS, t)
    assert s.state == "halted"
    assert s.halt_kind == "weekly"
    # the next session does not lift it, nor does the next week
    for days in (1, 7):
        s, _ = evaluate(s, snap("93000", t + timedelta(days=days)), LIMITS, t)
        assert s.state == "halted"
    s, ev = clear(s, "reviewed the week, resuming", t)
    assert s.state == "active"
    assert [e.kind for e in ev] == ["cleared"]
    s, _ = evaluate(s, snap("92900", t + timedelta(days=8)), LIMITS, t)
    assert s.state == "active"


def test_drawdown_kills_latch_and_rearm() -> None:
    s = BreakerState.initial(D(100_000), MON)
    t = MON
    for rising in ("102000", "104000", "106000", "108000", "110000", "112000", "114000"):
        t += timedelta(days=1)
        s, _ = evaluate(s, snap(rising, t), LIMITS, t)
    # a slow slide: 2%/day, 6.5%/week never trips first ... then the drawdown from 114000
    assert s.peak_equity == D(114000)
    eq = D(114000)
    while s.state != "killed":
        t += timedelta(days=1)
        eq -= D(2000)
        s, ev = evaluate(s, snap(eq, t), LIMITS, t)
        if s.state == "halted":
            s, _ = clear(s, "person looked at it", t)
    assert (D(114000) - eq) / D(114000) >= D("0.15")
    assert s.kill_episode == 1
    assert {b.name: b.tripped for b in breakers(roundtrip(s), eq, LIMITS)}["drawdown"]
    assert needs_flatten(s)
    s, ev = latch_flatten(s, t)
    assert [e.kind for e in ev] == ["flatten_latched"]
    assert not needs_flatten(s)
    # the latch survives a restart, and another latch is a no-op
    s2 = roundtrip(s)
    assert s2 == s
    assert latch_flatten(s2, t) == (s2, [])
    # nothing but rearm lifts it
    with pytest.raises(ValueError, match="re-arm"):
        clear(s, "please", t)
    s3, _ = evaluate(s, snap("200000", t + timedelta(days=3)), LIMITS, t)
    assert s3.state == "killed"
    with pytest.raises(ValueError, match="reason"):
        rearm(s, " ", t)
    s, ev = rearm(s, "reviewed the drawdown with the team", t)
    assert s.state == "active"
    assert [e.kind for e in ev] == ["rearmed"]
    assert s.peak_equity == eq
    # a new kill is a new episode with a fresh latch
    s, _ = kill(s, "manual kill", t)
    assert s.kill_episode == 2
    assert needs_flatten(s)


def test_kill_is_idempotent_and_needs_a_reason() -> None:
    s = BreakerState.initial(D(1000), MON)
    s, ev = kill(s, "operator pressed the button", MON)
    assert s.state == "killed"
    assert s.killed_at == MON
    assert len(ev) == 1
    s, _ = latch_flatten(s, MON)
    # a person's kill is not the drawdown breaker tripping
    assert not any(b.tripped for b in breakers(s, D(1000), LIMITS))
    again, ev = kill(s, "pressed again", MON + timedelta(seconds=1))
    assert again == s
    assert ev == []
    with pytest.raises(ValueError):
        kill(BreakerState.initial(D(1000), MON), "", MON)
    with pytest.raises(ValueError, match="only a killed"):
        rearm(BreakerState.initial(D(1000), MON), "why not", MON)


def test_losing_streak_pauses_then_next_session_or_clear() -> None:
    s = BreakerState.initial(D(100_000), MON)
    s, _ = evaluate(s, snap("99990", MON, "-1", "-1", "5", "-1"), LIMITS, MON)
    assert s.consecutive_losses == 1
    s, ev = evaluate(s, snap("99980", MON, "-1", "-1", "-1", "-1"), LIMITS, MON)
    assert s.state == "paused"
    assert [e.kind for e in ev] == ["tripped_losses"]
    resumed, _ = clear(s, "resume after review", MON)
    assert resumed.state == "active"
    assert resumed.consecutive_losses == 0
    s, ev = evaluate(s, snap("99980", MON + timedelta(days=1)), LIMITS, MON)
    assert s.state == "active"
    assert "pause_lifted" in [e.kind for e in ev]


def test_halt_and_reducing() -> None:
    s = BreakerState.initial(D(1000), MON)
    r, _ = set_reducing(s, "manual reduce", MON)
    assert r.state == "reducing"
    h, ev = halt(r, "position break above tolerance", MON)
    assert [e.kind for e in ev] == ["halted"]
    assert h.state == "halted"
    assert h.halt_kind == "reconcile"
    # a daily halt upgraded by reconciliation is not lifted by the next session
    d, _ = evaluate(s, snap("960", MON), LIMITS, MON)
    d, _ = halt(d, "ambiguous order", MON)
    d, _ = evaluate(d, snap("960", MON + timedelta(days=1)), LIMITS, MON)
    assert d.state == "halted"
    assert d.halt_kind == "reconcile"
    k, _ = kill(s, "kill", MON)
    assert halt(k, "break", MON) == (k, [])
    assert set_reducing(k, "x y z", MON) == (k, [])


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "killed",
        [],
        {},
        {"schema": 99},
        {"schema": 1, "state": "sleeping"},
        "CORRUPT",
    ],
)
def test_unreadable_state_fails_closed(bad: Any) -> None:
    s = BreakerState.from_dict(bad, MON)
    assert s.state == "halted"
    assert s.halt_kind == "unreadable"
    assert "unreadable" in (s.reason or "")
    assert not s.trading_allowed
    # snapshots do not lift it; a person does
    s, _ = evaluate(s, snap("1000", MON + timedelta(days=1)), LIMITS, MON)
    assert s.state == "halted"
    s, _ = clear(s, "checked the account by hand", MON)
    assert s.state == "active"
    assert s.peak_equity == D(1000)


def test_every_field_corruption_fails_closed() -> None:
    good = BreakerState.initial(D(1000), MON).to_dict()
    for key in good:
        for junk in (None, "x", -1, [1], {"a": 1}, "NaN"):
            d = dict(good)
            d[key] = junk
            s = BreakerState.from_dict(d, MON)
            assert s.state in ("active", "halted")
            if s.state == "active":  # the junk was acceptable for that field (e.g. reason)
                assert (
                    key in ("reason", "last_equity", "killed_at", "halt_kind") or junk == good[key]
                )


states = st.sampled_from(["active", "reducing", "paused", "halted", "killed"])


@st.composite
def breaker_states(draw: st.DrawFn) -> BreakerState:
    eq = D(draw(st.integers(1, 10**9)))
    s = BreakerState.initial(eq, MON)
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["snap", "kill", "latch", "rearm", "clear", "halt", "reduce"]))
        t = MON + timedelta(days=draw(st.integers(0, 20)))
        if op == "snap":
            e = D(draw(st.integers(1, 2 * 10**9)))
            pnl = tuple(D(x) for x in draw(st.lists(st.integers(-5, 5), max_size=6)))
            s, _ = evaluate(s, EquitySnapshot(e, t, pnl), LIMITS, t)
        elif op == "kill":
            s, _ = kill(s, "kill it", t)
        elif op == "latch":
            s, _ = latch_flatten(s, t)
        elif op == "rearm" and s.state == "killed":
            s, _ = rearm(s, "rearm it", t)
        elif op == "clear" and s.state != "killed":
            s, _ = clear(s, "clear it", t)
        elif op == "halt":
            s, _ = halt(s, "halt it", t)
        elif op == "reduce":
            s, _ = set_reducing(s, "reduce it", t)
    return s


@settings(max_examples=300, deadline=None)
@given(s=breaker_states())
def test_persistence_roundtrip(s: BreakerState) -> None:
    assert roundtrip(s) == s


@settings(max_examples=300, deadline=None)
@given(s=breaker_states(), eq=st.integers(1, 2 * 10**9), days=st.integers(0, 3))
def test_snapshots_never_lift_killed_and_only_rolls_lower(
    s: BreakerState, eq: int, days: int
) -> None:
    t = datetime.combine(s.session_day, datetime.min.time(), UTC) + timedelta(days=days, hours=1)
    new, events = evaluate(s, EquitySnapshot(D(eq), t), LIMITS, t)
    if s.state == "killed":
        assert new.state == "killed"
        assert new.flatten_latched == s.flatten_latched
        assert new.kill_episode == s.kill_episode
    lowered = SEVERITY[new.state] < SEVERITY[s.state]
    if lowered:  # only a new session lifts a daily halt or a losing-streak pause
        assert days > 0
        assert (s.state, s.halt_kind) in (("halted", "daily"), ("paused", None))
    assert all(e.to_dict()["at"] for e in events)


def test_breaker_readings() -> None:
    s = BreakerState.initial(D(100_000), MON)
    s, _ = evaluate(s, snap("96000", MON), LIMITS, MON)
    by = {b.name: b for b in breakers(s, D(96000), LIMITS)}
    assert by["daily_loss"].tripped
    assert by["daily_loss"].value_pct == 4.0
    assert by["weekly_loss"].value_pct == 4.0
    assert not by["drawdown"].tripped
    assert by["consecutive_losses"].threshold_pct == 5.0


def test_session_override() -> None:
    # an exchange session date given explicitly wins over the UTC date
    s = BreakerState.initial(D(1000), MON, session=date(2024, 1, 8))
    late = MON + timedelta(hours=12)  # already Tuesday in UTC
    s, ev = evaluate(s, EquitySnapshot(D(1000), late, session=date(2024, 1, 8)), LIMITS, late)
    assert ev == []
    assert s.session_day == date(2024, 1, 8)


def test_risk_state_answer() -> None:
    s, _ = kill(BreakerState.initial(D(1000), MON), "operator kill", MON)
    s, _ = latch_flatten(s, MON)
    out = risk_state(s, account_id="a1", environment="paper", equity=D(990), limits=LIMITS)
    assert out.state == "killed"
    assert out.flatten_latched
    assert out.killed_at == MON
    assert out.peak_equity == D(1000)
    assert [b.name for b in out.breakers] == [
        "daily_loss",
        "weekly_loss",
        "drawdown",
        "consecutive_losses",
    ]
    assert out.model_dump(mode="json")["equity"] == "990"


# --- sessions follow the clock of the bars (a replay's, not the wall clock) --------------------

REPLAY = "replay:2010-01-01"
BAR = datetime(2010, 3, 1, 5, 0, tzinfo=UTC)  # a Monday, years behind the wall clock


def replay_snap(equity: str, at: datetime) -> EquitySnapshot:
    return EquitySnapshot(equity=D(equity), at=at, clock=REPLAY)


def test_a_replay_on_a_live_clock_state_restarts_session_and_week_at_its_bars() -> None:
    # an account set up today (live clock), then driven by a replay of 2010
    s = BreakerState.initial(D(100_000), MON + timedelta(days=365 * 3))
    s, ev = evaluate(s, replay_snap("100000", BAR), LIMITS, BAR)
    assert [e.kind for e in ev] == ["clock_changed"]
    assert (s.clock, s.session_day, s.week_start) == (REPLAY, BAR.date(), BAR.date())
    # the daily breaker trips on the replay's day and the replay's next session lifts it
    s, ev = evaluate(s, replay_snap("96000", BAR + timedelta(hours=1)), LIMITS, BAR)
    assert (s.state, s.halt_kind) == ("halted", "daily")
    nxt = BAR + timedelta(days=1)
    s, ev = evaluate(s, replay_snap("96000", nxt), LIMITS, nxt)
    assert s.state == "active"
    assert [e.kind for e in ev] == ["session_rolled", "halt_lifted"]
    assert s.session_day == nxt.date()


def test_the_week_rolls_on_the_replays_monday() -> None:
    s = BreakerState.initial(D(100_000), BAR, clock=REPLAY)
    loose_daily = LIMITS.model_copy(update={"daily_halt_pct": 100.0})
    # -5 % over Mon..Fri is below the weekly -7 %; the next Monday starts a new week at 95,000
    fri = BAR + timedelta(days=4)
    s, _ = evaluate(s, replay_snap("95000", fri), loose_daily, fri)
    mon = BAR + timedelta(days=7)
    s, _ = evaluate(s, replay_snap("95000", mon), loose_daily, mon)
    assert (s.week_start, s.week_start_equity) == (mon.date(), D(95000))
    # another -5 % that week is still no weekly halt (it would be from the old week's start)
    wed = mon + timedelta(days=2)
    s, _ = evaluate(s, replay_snap("90250", wed), loose_daily, wed)
    assert s.state == "active"


def test_a_clock_change_lifts_no_halt() -> None:
    s = BreakerState.initial(D(100_000), MON)
    s, _ = evaluate(s, snap("96000", MON + timedelta(hours=1)), LIMITS, MON)
    assert (s.state, s.halt_kind) == ("halted", "daily")
    s, ev = evaluate(s, replay_snap("96000", BAR), LIMITS, BAR)
    assert s.state == "halted"
    assert "halt_lifted" not in [e.kind for e in ev]


def test_the_clock_survives_a_round_trip_and_old_states_follow_the_live_clock() -> None:
    s = BreakerState.initial(D(100_000), BAR, clock=REPLAY)
    assert roundtrip(s).clock == REPLAY
    data = s.to_dict()
    del data["clock"]
    assert BreakerState.from_dict(data).clock == "live"
    data["clock"] = 7
    assert BreakerState.from_dict(data).state == "halted"  # unreadable: fail closed


def test_with_one_snapshot_per_session_the_day_starts_at_the_previous_close() -> None:
    """Daily bars give one snapshot per session: the day's loss is measured from the equity
    the session opened with (the last snapshot), so a -4 % day trips the daily halt."""
    s = BreakerState.initial(D(100_000), BAR, clock=REPLAY)
    s, _ = evaluate(s, replay_snap("100000", BAR), LIMITS, BAR)
    nxt = BAR + timedelta(days=1)
    s, ev = evaluate(s, replay_snap("96000", nxt), LIMITS, nxt)
    assert s.day_start_equity == D(100_000)
    assert (s.state, s.halt_kind) == ("halted", "daily")
    assert [e.kind for e in ev] == ["session_rolled", "tripped_daily"]


def test_the_clock_a_bar_is_read_from() -> None:
    start = datetime(2010, 1, 1, tzinfo=UTC)
    replay = DeploymentRow(trade_start=start)
    assert breaker_clock(replay, replay=True) == REPLAY
    # replays of one period on an account share the clock; another period is another clock
    assert breaker_clock(DeploymentRow(trade_start=start + timedelta(hours=5)), True) == REPLAY
    later = DeploymentRow(trade_start=datetime(2012, 3, 1, tzinfo=UTC))
    assert breaker_clock(later, True) == "replay:2012-03-01"
    # a live bar (even of a deployment that has a start) and a replay without one: wall clock
    assert breaker_clock(later, replay=False) == "live"
    assert breaker_clock(DeploymentRow(trade_start=None), True) == "live"
    # what it names is a clock a stored state reads back (not "unreadable")
    for dep in (replay, later):
        s = BreakerState.initial(D(100_000), BAR, clock=breaker_clock(dep, True))
        assert (roundtrip(s).state, roundtrip(s).clock) == ("active", breaker_clock(dep, True))


def test_a_replay_of_an_earlier_period_restarts_the_sessions_of_a_later_one() -> None:
    """Without the clock, every 2010 session would be 'before' the state's 2012 one: no session
    would ever roll and a daily halt would hold for the whole replay."""
    s = BreakerState.initial(
        D(100_000), datetime(2012, 6, 1, 5, tzinfo=UTC), clock="replay:2012-01-02"
    )
    s, ev = evaluate(s, replay_snap("100000", BAR), LIMITS, BAR)
    assert [e.kind for e in ev] == ["clock_changed"]
    assert (s.clock, s.session_day, s.week_start) == (REPLAY, BAR.date(), BAR.date())
    s, ev = evaluate(s, replay_snap("96000", BAR + timedelta(hours=1)), LIMITS, BAR)
    assert [e.kind for e in ev] == ["tripped_daily"]
    nxt = BAR + timedelta(days=1)
    s, ev = evaluate(s, replay_snap("96000", nxt), LIMITS, nxt)
    assert [e.kind for e in ev] == ["session_rolled", "halt_lifted"]
    assert s.state == "active"
    # and back on the live clock (today), the live session starts over again
    s, ev = evaluate(s, snap("96000", MON), LIMITS, MON)
    assert [e.kind for e in ev] == ["clock_changed"]
    assert (s.clock, s.session_day) == ("live", MON.date())


def test_the_same_clock_never_reports_a_change() -> None:
    s = BreakerState.initial(D(100_000), BAR, clock=REPLAY)
    kinds: list[str] = []
    for day in range(10):
        at = BAR + timedelta(days=day)
        s, ev = evaluate(s, replay_snap("100000", at), LIMITS, at)
        kinds += [e.kind for e in ev]
    assert "clock_changed" not in kinds
    assert kinds.count("session_rolled") == 9
    assert s.session_day == (BAR + timedelta(days=9)).date()


def test_a_losing_streak_counts_across_the_replays_sessions() -> None:
    """Daily bars close one round trip per session at most: the streak is not a session's."""
    s = BreakerState.initial(D(100_000), BAR, clock=REPLAY)
    equity = D(100_000)
    for day in range(4):
        at = BAR + timedelta(days=day)
        equity -= 10
        s, ev = evaluate(s, EquitySnapshot(equity, at, (D(-10),), clock=REPLAY), LIMITS, at)
        assert s.state == "active"
    assert s.consecutive_losses == 4
    at = BAR + timedelta(days=4)
    s, ev = evaluate(s, EquitySnapshot(equity - 10, at, (D(-10),), clock=REPLAY), LIMITS, at)
    assert (s.state, s.consecutive_losses) == ("paused", 5)
    assert [e.kind for e in ev] == ["session_rolled", "tripped_losses"]
    assert "5 losing round trips" in ev[-1].reason
    # a winner in between breaks the streak
    s = BreakerState.initial(D(100_000), BAR, clock=REPLAY)
    for day, pnl in enumerate(("-1", "-1", "-1", "2", "-1", "-1")):
        at = BAR + timedelta(days=day)
        s, _ = evaluate(s, EquitySnapshot(D(100_000), at, (D(pnl),), clock=REPLAY), LIMITS, at)
    assert (s.state, s.consecutive_losses) == ("active", 2)
