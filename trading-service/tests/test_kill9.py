"""kill -9 of a real trading process between submission and acknowledgement, then a restart:
the order is flagged `unknown`, the account halted, an exception opened, nothing re-sent."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from test_faults import deploy, qualified  # noqa: F401 - fixture
from tr_testkit import TOKEN, plain, sql


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_service(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "vt_trading"], env=env, stdout=out, stderr=subprocess.STDOUT
    )


async def until(predicate: Any, within: float) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"not within {within} s")


@pytest.mark.slow
async def test_kill9_between_submission_and_ack_then_restart(
    make_settings: Any,
    user: str,
    qualified: dict[str, Any],  # noqa: F811
    database_url: str,
    redis_url: str,
    market_data_url: str,
    strategy_url: str,
    backtest_url: str,
    tmp_path: Path,
) -> None:
    did, aid = await deploy(make_settings, user, qualified)
    env = {
        **os.environ,
        "DATABASE_URL": plain(database_url),
        "REDIS_URL": redis_url,
        "INTERNAL_TOKEN": TOKEN,
        "MARKET_DATA_URL": market_data_url,
        "STRATEGY_AI_URL": strategy_url,
        "BACKTEST_ENGINE_URL": backtest_url,
        "TRADING_ENVIRONMENT": "paper",
        "PORT": str(_free_port()),
        "TRADING_RUNNER": "true",
        "TRADING_RUNNER_POLL": "0.2",
        "TRADING_LEASE_TTL": "2",
        "VT_ENV": "test",
        "TRADING_TEST_CRASH_AT": "after_broker",
    }
    log = tmp_path / "trading.log"
    proc = start_service(env, log)
    try:
        code = await asyncio.get_running_loop().run_in_executor(None, proc.wait, 180)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == -signal.SIGKILL, log.read_text()[-3000:]
    pending = sql(
        database_url,
        "SELECT client_order_id FROM trading_paper.orders WHERE account_id = %s AND state = 'submitting'",
        aid,
    )
    assert len(pending) == 1
    coid = pending[0][0]
    crashed_at = sql(database_url, "SELECT now()")[0][0]

    env.pop("TRADING_TEST_CRASH_AT")
    env["PORT"] = str(_free_port())
    proc = start_service(env, log)
    try:
        await until(
            lambda: sql(
                database_url,
                "SELECT 1 FROM trading_paper.exceptions WHERE account_id = %s AND kind = 'ambiguous_submission'",
                aid,
            ),
            within=60,
        )
        state = sql(
            database_url,
            "SELECT state FROM trading_paper.risk_states WHERE account_id = %s AND deployment_id IS NULL",
            aid,
        )
        assert state == [("halted",)]
        await asyncio.sleep(3)  # let the restarted runner step on
    finally:
        proc.terminate()
        await asyncio.get_running_loop().run_in_executor(None, proc.wait, 30)
    # the submission reached the venue exactly once and was never sent again
    assert sql(
        database_url,
        "SELECT count(*) FROM trading_paper.paper_orders WHERE account_id = %s AND client_order_id = %s",
        aid,
        coid,
    ) == [(1,)]
    assert sql(
        database_url,
        "SELECT state FROM trading_paper.orders WHERE account_id = %s AND client_order_id = %s",
        aid,
        coid,
    )[0][0] in ("unknown", "accepted", "filled")  # reconciliation may have adopted it
    new_risk = sql(
        database_url,
        "SELECT count(*) FROM trading_paper.orders WHERE account_id = %s AND created_at > %s "
        "AND type = 'market' AND NOT reduce_only AND state <> 'cancelled'",
        aid,
        crashed_at,
    )
    assert new_risk == [(0,)]
    assert did
