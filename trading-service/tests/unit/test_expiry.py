"""Expiry reads the deployment's own clock: wall time live, the next bar's time in a replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vt_db.trading_models import DeploymentRow
from vt_trading.trading.recovery import past_expiry

START = datetime(2010, 3, 1, tzinfo=UTC)  # a replay's start, years behind the wall clock


def dep(expires_at: datetime | None, triggered: bool = False) -> DeploymentRow:
    return DeploymentRow(trade_start=START, expires_at=expires_at, triggered=triggered)


def test_a_replay_expires_when_its_bar_time_reaches_the_expiry() -> None:
    d = dep(START + timedelta(days=10))
    assert not past_expiry(d, START + timedelta(days=9, hours=23))
    assert past_expiry(d, START + timedelta(days=10))
    assert past_expiry(d, START + timedelta(days=12))


def test_the_wall_clock_is_no_replays_clock() -> None:
    # an expiry on the replay's clock is long past on the wall clock; only the caller's time
    # decides, so the runner must hand it the bar's time (and does: see test_replay_clock)
    d = dep(START + timedelta(days=10))
    assert past_expiry(d, datetime.now(UTC))
    assert not past_expiry(d, START)


def test_a_triggered_or_open_ended_deployment_never_expires() -> None:
    assert not past_expiry(
        dep(START + timedelta(days=10), triggered=True), START + timedelta(days=99)
    )
    assert not past_expiry(dep(None), datetime.now(UTC) + timedelta(days=3650))
