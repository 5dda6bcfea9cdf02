"""End to end through the real services: a replay of SAMPLE data through the whole chain
(targets, risk gate, orders, paper broker, fills, positions, P&L), and PARITY: the paper
broker's trades equal the backtest's — timestamps, sides, quantities, prices to the cent, fees —
for the README's SMA spec and for a multi-symbol spec with stop loss and take-profits, on an
account whose risk limits do not bind."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from tr_testkit import NON_BINDING_LIMITS, h, run_backtest, save_strategy, trading_client, wait_for

from vt_contracts.examples import sma_crossover_spec
from vt_trading.ledger.positions import LedgerFill, round_trips

PERIOD = {"start": "2010-01-01", "end": "2011-12-31"}


async def all_pages(client: httpx.AsyncClient, path: str, user: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(path, params=params, headers=h(user))).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


async def replay(
    make_settings: Any, user: str, strategy_id: str, run: dict[str, Any], capital: str
) -> dict[str, Any]:
    """Deploy on a fresh account with loose limits, replay the period, return what happened."""
    async with trading_client(make_settings(TRADING_RUNNER=True)) as client:
        acct = (
            await client.post(
                "/accounts",
                json={"name": f"parity {strategy_id[:8]}", "risk_limits": NON_BINDING_LIMITS},
                headers=h(user),
            )
        ).json()
        r = await client.post(
            "/deployments",
            json={
                "strategy_id": strategy_id,
                "backtest_id": run["id"],
                "capital": capital,
                "account_id": acct["id"],
                "acknowledge_failed_gates": True,
                "replay": {**PERIOD, "bars_per_second": 10000},
            },
            headers=h(user),
        )
        assert r.status_code == 201, r.text
        did = r.json()["id"]

        async def finished() -> dict[str, Any] | None:
            body: dict[str, Any] = (await client.get(f"/deployments/{did}", headers=h(user))).json()
            if body["status"] == "failed":
                problems = (await client.get("/trading/exceptions", headers=h(user))).json()
                raise AssertionError(f"deployment failed: {problems}")
            return body if body["replay"]["finished"] else None

        dep = await wait_for(finished, within=600, every=0.5)
        return {
            "deployment": dep,
            "fills": await all_pages(client, f"/deployments/{did}/fills", user),
            "orders": await all_pages(client, f"/deployments/{did}/orders", user),
            "targets": await all_pages(client, f"/deployments/{did}/targets", user),
            "positions": (
                await client.get(f"/deployments/{did}/positions", headers=h(user))
            ).json(),
            "pnl": (await client.get(f"/deployments/{did}/pnl", headers=h(user))).json(),
            "exceptions": (await client.get("/trading/exceptions", headers=h(user))).json(),
            "audit": (
                await client.get(
                    "/trading/audit", params={"account_id": acct["id"], "limit": 5}, headers=h(user)
                )
            ).json(),
        }


def cents(x: float | Decimal | None) -> Decimal | None:
    return None if x is None else Decimal(str(x)).quantize(Decimal("0.01"))


def _iso(x: str) -> str:
    return datetime.fromisoformat(x.replace("Z", "+00:00")).isoformat()


def expected_fills(
    trades: list[dict[str, Any]],
) -> dict[tuple[str, str, str], tuple[Decimal, Decimal]]:
    """The backtest's trades as fills, summed per (time, symbol, side): (qty, value).

    A trade closed in stages (take-profit levels) is one backtest trade per stage with the same
    entry, so entries are compared as the sum over the trades that share them."""
    out: dict[tuple[str, str, str], tuple[Decimal, Decimal]] = {}

    def add(ts: str, sym: str, side: str, qty: Decimal, price: Decimal) -> None:
        q, v = out.get((ts, sym, side), (Decimal(0), Decimal(0)))
        out[(ts, sym, side)] = (q + qty, v + qty * price)

    for t in trades:
        qty = Decimal(str(t["size"]))
        long = t["direction"] == "long"
        add(
            _iso(t["entry_time"]),
            t["symbol"],
            "buy" if long else "sell",
            qty,
            Decimal(str(t["entry_price"])),
        )
        if t.get("exit_time") and not t.get("is_open"):
            add(
                _iso(t["exit_time"]),
                t["symbol"],
                "sell" if long else "buy",
                qty,
                Decimal(str(t["exit_price"])),
            )
    return out


def our_fills(fills: list[dict[str, Any]]) -> dict[tuple[str, str, str], tuple[Decimal, Decimal]]:
    out: dict[tuple[str, str, str], tuple[Decimal, Decimal]] = {}
    for f in fills:
        key = (_iso(f["ts"]), f["symbol"], f["side"])
        q, v = out.get(key, (Decimal(0), Decimal(0)))
        out[key] = (q + Decimal(f["qty"]), v + Decimal(f["qty"]) * Decimal(f["price"]))
    return out


def assert_same_fills(trades: list[dict[str, Any]], fills: list[dict[str, Any]]) -> None:
    """Same timestamps, sides, quantities and (volume-weighted) prices to the cent; same fees."""
    want = expected_fills(trades)
    open_entries = {
        (_iso(t["entry_time"]), t["symbol"])
        for t in trades
        if t.get("is_open") or not t.get("exit_time")
    }
    got = our_fills(fills)
    # a position still open at the end has no exit fill in either
    assert sorted(got) == sorted(want), (sorted(set(got) ^ set(want))[:10], open_entries)
    for key, (q, v) in want.items():
        gq, gv = got[key]
        assert gq == q, (key, gq, q)
        assert cents(gv / gq) == cents(v / q), (key, gv / gq, v / q)
    fees = sum((Decimal(str(t["fees"])) for t in trades), Decimal(0))
    assert cents(sum((Decimal(f["fees"]) for f in fills), Decimal(0))) == cents(fees)


def assert_same_trades(backtest: list[dict[str, Any]], fills: list[dict[str, Any]]) -> None:
    ours = round_trips(
        [
            LedgerFill(
                execution_id=f["execution_id"],
                side=f["side"],
                qty=Decimal(f["qty"]),
                price=Decimal(f["price"]),
                fees=Decimal(f["fees"]),
                symbol=f["symbol"],
                ts=datetime.fromisoformat(f["ts"]),
            )
            for f in fills
        ]
    )
    want = sorted(backtest, key=lambda t: (t["entry_time"], t["symbol"]))
    assert len(ours) == len(want), (len(ours), len(want))
    for got, exp in zip(ours, want, strict=True):
        ctx = (got, exp)
        assert got.symbol == exp["symbol"], ctx
        assert got.direction == exp["direction"], ctx
        assert got.entry_time.isoformat() == exp["entry_time"].replace("Z", "+00:00"), ctx
        exit_time = exp["exit_time"].replace("Z", "+00:00") if exp["exit_time"] else None
        if not exp.get("is_open"):
            assert got.exit_time is not None, ctx
            assert got.exit_time.isoformat() == exit_time, ctx
        assert got.qty == Decimal(str(exp["size"])), ctx
        assert cents(got.entry_price) == cents(exp["entry_price"]), ctx
        if not exp.get("is_open"):
            assert cents(got.exit_price) == cents(exp["exit_price"]), ctx
            assert cents(got.fees) == cents(exp["fees"]), ctx


@pytest.mark.slow
async def test_replay_sma_on_sample_aapl_equals_the_backtest(
    make_settings: Any,
    database_url: str,
    backtest_url: str,
    backtest_worker: None,
    user: str,
) -> None:
    spec = sma_crossover_spec("SAMPLE:AAPL", period=PERIOD)
    sid, _ = save_strategy(database_url, user, spec)
    run = await run_backtest(backtest_url, user, spec)
    result = run["result"]
    capital = str(result["summary_stats"]["initial_capital"])
    out = await replay(make_settings, user, sid, run, capital)

    dep = out["deployment"]
    assert dep["replay"]["label"] == "replay"
    assert dep["replay"]["finished"]
    assert dep["replay"]["bars_done"] == dep["replay"]["bars_total"] > 400
    assert out["targets"]
    assert all(t["review"] in ("approved", "applied") for t in out["targets"])
    assert out["orders"]
    assert all(o["client_order_id"].startswith("p") for o in out["orders"])
    assert_same_trades(result["trades"], out["fills"])
    assert_same_fills(result["trades"], out["fills"])
    # the equity curve ends where the backtest's does (to the cent)
    assert cents(out["pnl"]["equity"]) == cents(result["summary_stats"]["final_equity"])
    assert out["audit"]["verified"] is True


@pytest.mark.slow
async def test_multi_symbol_with_stops_and_take_profits_equals_the_backtest(
    make_settings: Any,
    database_url: str,
    backtest_url: str,
    backtest_worker: None,
    user: str,
) -> None:
    spec = sma_crossover_spec(
        "SAMPLE:AAPL",
        10,
        30,
        period=PERIOD,
        universe={"symbols": ["SAMPLE:AAPL", "SAMPLE:MSFT"]},
        risk={
            "stop_loss": {"kind": "percent", "percent": 4},
            "take_profit": [{"gain_pct": 6, "fraction": 0.5}, {"gain_pct": 12, "fraction": 1.0}],
        },
    )
    sid, _ = save_strategy(database_url, user, spec)
    run = await run_backtest(backtest_url, user, spec)
    result = run["result"]
    reasons = {t.get("exit_reason") for t in result["trades"]}
    assert {"stop_loss", "take_profit"} & reasons, reasons  # the spec exercises protections
    capital = str(result["summary_stats"]["initial_capital"])
    out = await replay(make_settings, user, sid, run, capital)
    assert {o["type"] for o in out["orders"]} >= {"market", "stop", "limit"}
    assert_same_fills(result["trades"], out["fills"])
    assert cents(out["pnl"]["equity"]) == cents(result["summary_stats"]["final_equity"])
