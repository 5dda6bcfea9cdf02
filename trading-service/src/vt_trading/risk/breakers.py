"""Circuit breakers and the kill switch as a persisted state machine (pure, plain data).

States, from least to most severe: ``active`` → ``reducing`` → ``paused`` → ``halted`` →
``killed``. Equity snapshots only ever escalate the state; the ways back are explicit:

- daily loss ≥ ``daily_halt_pct`` of the session's start equity → ``halted`` (kind ``daily``),
  lifted automatically by the first snapshot of the next session;
- weekly loss ≥ ``weekly_halt_pct`` of the week's start equity → ``halted`` (kind ``weekly``),
  lifted only by `clear` (a person);
- drawdown from the equity peak ≥ ``drawdown_kill_pct`` → ``killed``: cancel all, flatten
  reduce-only; lifted only by `rearm` with a reason;
- ``max_consecutive_losses`` losing round trips in a row → ``paused``, lifted by `clear` or by
  the next session (a one-session cool-down);
- `halt` (reconciliation break, ambiguity, unreadable state) → ``halted`` until `clear`.

Sessions and weeks follow the clock of the bars that feed the snapshots (``clock``): the live
clock, or a replay's bar clock, whose dates are years behind the wall clock. A snapshot from
another clock than the one the state follows (a replay on an account set up on the live clock)
restarts the session and the week at that snapshot (event ``clock_changed``); it lifts nothing.

The flatten of a kill is latched per episode (`needs_flatten` / `latch_flatten`): persist the
latch before submitting the flatten so that a restart never sends it twice. A state that cannot
be read back (`BreakerState.from_dict`) comes back ``halted``: unknown is not active.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, cast, get_args

from vt_contracts.trading import Breaker, Environment, RiskLimits, RiskState, RiskStateName

HaltKind = Literal["daily", "weekly", "manual", "reconcile", "unreadable", "drawdown"]
"""Why the account is halted (or, for ``killed``, ``drawdown`` when the breaker killed it)."""
SCHEMA = 1
LIVE_CLOCK = "live"
"""The wall clock; states stored before clocks were recorded follow it."""
ZERO = Decimal(0)
HUNDRED = Decimal(100)
SEVERITY: dict[str, int] = {"active": 0, "reducing": 1, "paused": 2, "halted": 3, "killed": 4}
"""Order of severity; a snapshot never moves a state down this list (except session rolls)."""
_STATES = frozenset(get_args(RiskStateName))
_HALT_KINDS = frozenset(get_args(HaltKind))


@dataclass(frozen=True)
class EquitySnapshot:
    """The account (or deployment) equity at ``at``, and round trips closed since the last one.

    ``session`` is the trading session the snapshot belongs to (the exchange's session date);
    it defaults to the UTC date of ``at``. ``clock`` names the clock ``at`` is read from
    (`LIVE_CLOCK`, or a replay's); sessions only compare within one clock.
    """

    equity: Decimal
    at: datetime
    realized_trade_pnl: Sequence[Decimal] = ()
    session: date | None = None
    clock: str = "live"

    @property
    def session_day(self) -> date:
        return self.session or self.at.astimezone(UTC).date()


@dataclass(frozen=True)
class BreakerEvent:
    """One transition or breaker trip, for the audit log and live updates."""

    at: datetime
    kind: str
    """tripped_daily | tripped_weekly | tripped_drawdown | tripped_losses | killed | rearmed |
    halted | cleared | session_rolled | clock_changed | halt_lifted | pause_lifted |
    flatten_latched | reducing"""
    from_state: RiskStateName
    to_state: RiskStateName
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class BreakerState:
    """Everything the breakers need to survive a restart (store `to_dict()` as JSON)."""

    state: RiskStateName
    reason: str | None
    since: datetime
    peak_equity: Decimal
    day_start_equity: Decimal
    week_start_equity: Decimal
    session_day: date
    week_start: date
    """Monday of the ISO week ``week_start_equity`` belongs to."""
    halt_kind: HaltKind | None = None
    consecutive_losses: int = 0
    killed_at: datetime | None = None
    kill_episode: int = 0
    """Counts kills; flatten client order ids carry it so each episode's flatten is distinct."""
    flatten_latched: bool = False
    last_equity: Decimal | None = None
    clock: str = LIVE_CLOCK
    """The clock ``session_day`` and ``week_start`` are dates of (see `EquitySnapshot.clock`)."""

    @classmethod
    def initial(
        cls, equity: Decimal, now: datetime, session: date | None = None, clock: str = LIVE_CLOCK
    ) -> BreakerState:
        """A fresh ``active`` state whose peak, day and week start at ``equity``."""
        day = session or now.astimezone(UTC).date()
        return cls(
            state="active",
            reason=None,
            since=now,
            peak_equity=equity,
            day_start_equity=equity,
            week_start_equity=equity,
            session_day=day,
            week_start=_monday(day),
            last_equity=equity,
            clock=clock,
        )

    @classmethod
    def fail_closed(cls, reason: str, now: datetime) -> BreakerState:
        """``halted`` (kind ``unreadable``) with no equity history: a person must clear it."""
        day = now.astimezone(UTC).date()
        return cls(
            state="halted",
            reason=reason,
            since=now,
            peak_equity=ZERO,
            day_start_equity=ZERO,
            week_start_equity=ZERO,
            session_day=day,
            week_start=_monday(day),
            halt_kind="unreadable",
        )

    @property
    def trading_allowed(self) -> bool:
        """New risk may be taken (only in ``active``)."""
        return self.state == "active"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (Decimals as strings, datetimes ISO 8601)."""
        raw = asdict(self)
        out: dict[str, Any] = {"schema": SCHEMA}
        for k, v in raw.items():
            if isinstance(v, Decimal):
                out[k] = str(v)
            elif isinstance(v, datetime | date):
                out[k] = v.isoformat()
            else:
                out[k] = v
        return out

    @classmethod
    def from_dict(cls, data: Any, now: datetime | None = None) -> BreakerState:
        """Inverse of `to_dict`; anything unreadable gives a `fail_closed` (halted) state."""
        at = now or datetime.now(UTC)
        try:
            return cls._parse(data)
        except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError) as exc:
            return cls.fail_closed(f"risk state unreadable, trading halted: {exc}", at)

    @classmethod
    def _parse(cls, d: Any) -> BreakerState:
        if not isinstance(d, dict):
            raise TypeError(f"expected an object, got {type(d).__name__}")
        if d.get("schema") != SCHEMA:
            raise ValueError(f"unknown schema {d.get('schema')!r}")
        state = d["state"]
        if state not in _STATES:
            raise ValueError(f"unknown state {state!r}")
        kind = d.get("halt_kind")
        if kind is not None and kind not in _HALT_KINDS:
            raise ValueError(f"unknown halt kind {kind!r}")
        if state == "halted" and kind is None:
            raise ValueError("halted without a halt kind")
        latched = d.get("flatten_latched", False)
        if not isinstance(latched, bool):
            raise TypeError("flatten_latched must be a boolean")
        losses = d.get("consecutive_losses", 0)
        episode = d.get("kill_episode", 0)
        if not isinstance(losses, int) or not isinstance(episode, int) or losses < 0 or episode < 0:
            raise ValueError("consecutive_losses and kill_episode must be non-negative integers")
        reason = d.get("reason")
        clock = d.get("clock", LIVE_CLOCK)
        if not isinstance(clock, str) or not (clock == LIVE_CLOCK or clock.startswith("replay:")):
            raise ValueError(f"unknown clock {clock!r}")
        return cls(
            state=cast(RiskStateName, state),
            reason=None if reason is None else str(reason),
            since=_dt(d["since"]),
            peak_equity=_dec(d["peak_equity"]),
            day_start_equity=_dec(d["day_start_equity"]),
            week_start_equity=_dec(d["week_start_equity"]),
            session_day=date.fromisoformat(d["session_day"]),
            week_start=date.fromisoformat(d["week_start"]),
            halt_kind=cast(HaltKind | None, kind),
            consecutive_losses=losses,
            killed_at=None if d.get("killed_at") is None else _dt(d["killed_at"]),
            kill_episode=episode,
            flatten_latched=latched,
            last_equity=None if d.get("last_equity") is None else _dec(d["last_equity"]),
            clock=clock,
        )


def _dt(v: Any) -> datetime:
    out = datetime.fromisoformat(v)
    if out.tzinfo is None:
        raise ValueError(f"timestamp {v!r} has no timezone")
    return out


def _dec(v: Any) -> Decimal:
    """A stored equity: a decimal string, finite and not negative."""
    if not isinstance(v, str):
        raise TypeError(f"expected a decimal string, got {type(v).__name__}")
    out = Decimal(v)
    if not out.is_finite() or out < 0:
        raise ValueError(f"not a finite, non-negative amount: {v!r}")
    return out


def _monday(d: date) -> date:
    return date.fromordinal(d.toordinal() - d.weekday())


def _loss_pct(start: Decimal, equity: Decimal) -> Decimal | None:
    """Loss from ``start`` in percent (positive = loss); None when there is no start."""
    if start <= 0:
        return None
    return (start - equity) / start * HUNDRED


def _to(
    s: BreakerState, to: RiskStateName, kind: str, reason: str, now: datetime, **changes: Any
) -> tuple[BreakerState, BreakerEvent]:
    ev = BreakerEvent(at=now, kind=kind, from_state=s.state, to_state=to, reason=reason)
    return replace(s, state=to, reason=reason, since=now, **changes), ev


def evaluate(
    state: BreakerState, snapshot: EquitySnapshot, limits: RiskLimits, now: datetime
) -> tuple[BreakerState, list[BreakerEvent]]:
    """Advance the state with one equity snapshot; returns (new state, events in order)."""
    s = state
    events: list[BreakerEvent] = []
    eq = snapshot.equity
    day = snapshot.session_day
    unknown_start = s.halt_kind == "unreadable" or s.peak_equity <= 0
    # a new session (week) starts from the equity it opened with: the last snapshot before it.
    # With one snapshot per session (daily bars) this snapshot's own equity would make every
    # daily loss zero, and an overnight gap is the new session's loss.
    opened = s.last_equity if s.last_equity is not None else eq
    # 0. another clock drives the state (a replay's bar dates are not comparable with the live
    # clock's, nor with another replay's): session and week restart here, nothing is lifted
    if snapshot.clock != s.clock:
        s = replace(
            s,
            clock=snapshot.clock,
            session_day=day,
            day_start_equity=opened,
            week_start=_monday(day),
            week_start_equity=opened,
        )
        events.append(
            BreakerEvent(now, "clock_changed", s.state, s.state, f"{snapshot.clock} session {day}")
        )
    # 1. a new session: daily figures restart; a daily halt and a losses pause are lifted
    elif day > s.session_day:
        s = replace(s, session_day=day, day_start_equity=opened)
        events.append(BreakerEvent(now, "session_rolled", s.state, s.state, f"session {day}"))
        if s.state == "halted" and s.halt_kind == "daily":
            s, ev = _to(
                s,
                "active",
                "halt_lifted",
                "new session after the daily loss halt",
                now,
                halt_kind=None,
            )
            events.append(ev)
        elif s.state == "paused":
            s, ev = _to(
                s,
                "active",
                "pause_lifted",
                "new session after the losing-streak pause",
                now,
                consecutive_losses=0,
            )
            events.append(ev)
        monday = _monday(day)
        if monday > s.week_start:
            s = replace(s, week_start=monday, week_start_equity=opened)
    if unknown_start:
        # no trustworthy history (fresh or unreadable state): start the figures here
        s = replace(s, peak_equity=eq, day_start_equity=eq, week_start_equity=eq)
    s = replace(s, peak_equity=max(s.peak_equity, eq), last_equity=eq)
    # 2. losing streak (round trips in the order they closed)
    losses = s.consecutive_losses
    for pnl in snapshot.realized_trade_pnl:
        losses = losses + 1 if pnl < 0 else 0
    s = replace(s, consecutive_losses=losses)
    # 3. breakers, most severe first; each only escalates
    dd = _loss_pct(s.peak_equity, eq)
    if dd is not None and dd >= Decimal(str(limits.drawdown_kill_pct)) and s.state != "killed":
        why = f"drawdown {dd:.2f}% from peak {s.peak_equity} reached the {limits.drawdown_kill_pct}% kill limit"
        events.append(BreakerEvent(now, "tripped_drawdown", s.state, "killed", why))
        s, ev = _kill(s, why, now, kind="drawdown")
        events.append(ev)
        return s, events
    if s.state == "killed":
        return s, events
    weekly = _loss_pct(s.week_start_equity, eq)
    if weekly is not None and weekly >= Decimal(str(limits.weekly_halt_pct)):
        if not (
            s.state == "halted" and s.halt_kind in ("weekly", "manual", "reconcile", "unreadable")
        ):
            why = f"weekly loss {weekly:.2f}% reached the {limits.weekly_halt_pct}% limit; halted until cleared by a person"
            s, ev = _to(s, "halted", "tripped_weekly", why, now, halt_kind="weekly")
            events.append(ev)
        return s, events
    daily = _loss_pct(s.day_start_equity, eq)
    if daily is not None and daily >= Decimal(str(limits.daily_halt_pct)):
        if s.state != "halted":
            why = f"daily loss {daily:.2f}% reached the {limits.daily_halt_pct}% limit; halted until the next session"
            s, ev = _to(s, "halted", "tripped_daily", why, now, halt_kind="daily")
            events.append(ev)
        return s, events
    if losses >= limits.max_consecutive_losses and SEVERITY[s.state] < SEVERITY["paused"]:
        why = f"{losses} losing round trips in a row (limit {limits.max_consecutive_losses}); paused until resumed or the next session"
        s, ev = _to(s, "paused", "tripped_losses", why, now)
        events.append(ev)
    return s, events


def _kill(
    s: BreakerState, reason: str, now: datetime, kind: HaltKind | None = None
) -> tuple[BreakerState, BreakerEvent]:
    return _to(
        s,
        "killed",
        "killed",
        reason,
        now,
        killed_at=now,
        kill_episode=s.kill_episode + 1,
        flatten_latched=False,
        halt_kind=kind,
    )


def _need_reason(reason: str) -> str:
    r = reason.strip()
    if len(r) < 3:
        raise ValueError("a reason of at least 3 characters is required")
    return r


def kill(
    state: BreakerState, reason: str, now: datetime
) -> tuple[BreakerState, list[BreakerEvent]]:
    """The kill switch: ``killed`` with a new episode (cancel all + flatten follow). Killing a
    killed state changes nothing (the running episode and its latch stay)."""
    r = _need_reason(reason)
    if state.state == "killed":
        return state, []
    s, ev = _kill(state, r, now)
    return s, [ev]


def rearm(
    state: BreakerState, reason: str, now: datetime
) -> tuple[BreakerState, list[BreakerEvent]]:
    """The only way out of ``killed``: back to ``active`` with a person's reason.

    The peak restarts at the last known equity, so the same drawdown does not kill again.
    """
    r = _need_reason(reason)
    if state.state != "killed":
        raise ValueError(f"only a killed account can be re-armed; the state is {state.state}")
    restart = state.last_equity if state.last_equity is not None else state.peak_equity
    s, ev = _to(
        state,
        "active",
        "rearmed",
        r,
        now,
        peak_equity=restart,
        day_start_equity=restart,
        week_start_equity=restart,
        consecutive_losses=0,
        halt_kind=None,
    )
    return s, [ev]


def clear(
    state: BreakerState, reason: str, now: datetime
) -> tuple[BreakerState, list[BreakerEvent]]:
    """A person lifts ``halted``, ``paused`` or ``reducing`` back to ``active`` (not ``killed``).

    Clearing a weekly halt restarts the week's start equity at the last known equity.
    """
    r = _need_reason(reason)
    if state.state == "killed":
        raise ValueError("a killed account needs an explicit re-arm, not a clear")
    if state.state == "active":
        return state, []
    restart = state.last_equity
    changes: dict[str, Any] = {"halt_kind": None, "consecutive_losses": 0}
    if restart is not None and state.halt_kind in ("weekly", "unreadable"):
        changes.update(week_start_equity=restart, day_start_equity=restart)
        if state.halt_kind == "unreadable":
            changes.update(peak_equity=restart)
    s, ev = _to(state, "active", "cleared", r, now, **changes)
    return s, [ev]


def halt(
    state: BreakerState, reason: str, now: datetime, kind: HaltKind = "reconcile"
) -> tuple[BreakerState, list[BreakerEvent]]:
    """Halt until a person clears it (reconciliation break, ambiguity, manual). Never lowers
    ``killed``; upgrades a daily halt so that the next session does not lift it."""
    r = _need_reason(reason)
    if state.state == "killed":
        return state, []
    if state.state == "halted" and state.halt_kind != "daily":
        return state, []
    s, ev = _to(state, "halted", "halted", r, now, halt_kind=kind)
    return s, [ev]


def set_reducing(
    state: BreakerState, reason: str, now: datetime
) -> tuple[BreakerState, list[BreakerEvent]]:
    """Only risk-reducing orders from now on (from ``active`` only; never lowers a state)."""
    r = _need_reason(reason)
    if state.state != "active":
        return state, []
    s, ev = _to(state, "reducing", "reducing", r, now)
    return s, [ev]


def needs_flatten(state: BreakerState) -> bool:
    """A kill whose flatten has not been sent yet in this episode."""
    return state.state == "killed" and not state.flatten_latched


def latch_flatten(state: BreakerState, now: datetime) -> tuple[BreakerState, list[BreakerEvent]]:
    """Mark this episode's flatten as sent. Persist it BEFORE submitting the flatten orders."""
    if not needs_flatten(state):
        return state, []
    ev = BreakerEvent(
        now, "flatten_latched", state.state, state.state, f"kill episode {state.kill_episode}"
    )
    return replace(state, flatten_latched=True), [ev]


def breakers(state: BreakerState, equity: Decimal, limits: RiskLimits) -> list[Breaker]:
    """The breakers' readings for the `RiskState` answer."""

    def pct(v: Decimal | None) -> float | None:
        return None if v is None else float(round(v, 4))

    daily = _loss_pct(state.day_start_equity, equity)
    weekly = _loss_pct(state.week_start_equity, equity)
    dd = _loss_pct(max(state.peak_equity, equity), equity)
    return [
        Breaker(
            name="daily_loss",
            threshold_pct=limits.daily_halt_pct,
            value_pct=pct(daily),
            tripped=state.state == "halted" and state.halt_kind == "daily",
        ),
        Breaker(
            name="weekly_loss",
            threshold_pct=limits.weekly_halt_pct,
            value_pct=pct(weekly),
            tripped=state.state == "halted" and state.halt_kind == "weekly",
        ),
        Breaker(
            name="drawdown",
            threshold_pct=limits.drawdown_kill_pct,
            value_pct=pct(dd),
            tripped=state.state == "killed" and state.halt_kind == "drawdown",
        ),
        Breaker(
            name="consecutive_losses",
            threshold_pct=float(limits.max_consecutive_losses),
            value_pct=float(state.consecutive_losses),
            tripped=state.state == "paused",
        ),
    ]


def risk_state(
    state: BreakerState,
    *,
    account_id: str,
    environment: Environment,
    equity: Decimal,
    limits: RiskLimits,
) -> RiskState:
    """The public `RiskState` answer for an account."""
    return RiskState(
        account_id=account_id,
        environment=environment,
        state=state.state,
        reason=state.reason,
        equity=equity,
        peak_equity=max(state.peak_equity, equity),
        day_start_equity=state.day_start_equity,
        week_start_equity=state.week_start_equity,
        breakers=breakers(state, equity, limits),
        killed_at=state.killed_at if state.state == "killed" else None,
        flatten_latched=state.flatten_latched and state.state == "killed",
        limits=limits,
    )
