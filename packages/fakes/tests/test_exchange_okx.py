"""The fake OKX v5 REST front: OKX's signing checked byte for byte (hand-signed requests over
HTTP), its envelope and codes, and the real ccxt `okx` class against it (only `urls['api']`
overridden)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import httpx
import pytest

from vt_fakes.exchange import FakeExchange


@pytest.fixture
async def fake() -> AsyncIterator[FakeExchange]:
    f = FakeExchange(wire="okx")
    f.add_account("K", "S", {"USDT": Decimal(100_000), "BTC": Decimal("0.5")}, passphrase="P")
    f.add_account("D", "DS", {"USDT": Decimal(1000)}, passphrase="DP", demo=True)
    await f.start()
    yield f
    await f.stop()


def okx_client(url: str, key: str = "K", secret: str = "S", password: str = "P") -> Any:
    ex = ccxt.okx(
        {
            "apiKey": key,
            "secret": secret,
            "password": password,
            "enableRateLimit": False,
            "options": {"fetchMarkets": {"types": ["spot"]}},
        }
    )
    ex.urls["api"] = {"rest": url}
    return ex


def stamp(at: datetime | None = None) -> str:
    t = at or datetime.now(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def signed(
    method: str,
    path: str,
    body: str = "",
    key: str = "K",
    secret: str = "S",
    passphrase: str = "P",
    ts: str | None = None,
    demo: bool = False,
) -> dict[str, str]:
    ts = ts or stamp()
    sign = base64.b64encode(
        hmac.new(secret.encode(), (ts + method + path + body).encode(), hashlib.sha256).digest()
    ).decode()
    headers = {
        "OK-ACCESS-KEY": key,
        "OK-ACCESS-SIGN": sign,
        "OK-ACCESS-TIMESTAMP": ts,
        "OK-ACCESS-PASSPHRASE": passphrase,
        "Content-Type": "application/json",
    }
    if demo:
        headers["x-simulated-trading"] = "1"
    return headers


async def test_signing_is_checked_as_okx_does(fake: FakeExchange) -> None:
    path = "/api/v5/account/balance?ccy=USDT"
    async with httpx.AsyncClient(base_url=fake.url) as c:
        ok = await c.get(path, headers=signed("GET", path))
        assert ok.status_code == 200
        env = ok.json()
        assert env["code"] == "0"
        assert env["msg"] == ""
        assert [d["ccy"] for d in env["data"][0]["details"]] == ["USDT"]

        async def code(headers: dict[str, str], p: str = path) -> str:
            r = await c.get(p, headers=headers)
            return str(r.json()["code"])

        assert await code(signed("GET", "/api/v5/account/balance")) == "50113"  # query unsigned
        assert await code(signed("GET", path, secret="x")) == "50113"
        assert await code(signed("GET", path, key="nobody")) == "50111"
        assert await code(signed("GET", path, passphrase="wrong")) == "50105"
        missing = signed("GET", path)
        del missing["OK-ACCESS-PASSPHRASE"]
        assert await code(missing) == "50104"
        missing = signed("GET", path)
        del missing["OK-ACCESS-KEY"]
        assert await code(missing) == "50103"
        old = stamp(datetime.now(UTC) - timedelta(seconds=45))
        assert await code(signed("GET", path, ts=old)) == "50102"
        assert await code(signed("GET", path, ts="yesterday")) == "50112"
        # demo keys only with x-simulated-trading: 1, live keys only without it
        assert await code(signed("GET", path, demo=True)) == "50101"
        assert await code(signed("GET", path, "", "D", "DS", "DP")) == "50101"
        assert await code(signed("GET", path, "", "D", "DS", "DP", demo=True)) == "0"
        # a POST signs its JSON body
        body = json.dumps(
            {
                "instId": "BTC-USDT",
                "tdMode": "cash",
                "side": "buy",
                "ordType": "limit",
                "sz": "0.01",
                "px": "40000",
                "clOrdId": "hand1",
            }
        )
        r = await c.post(
            "/api/v5/trade/order", content=body, headers=signed("POST", "/api/v5/trade/order", body)
        )
        assert r.json()["code"] == "0", r.text
        assert r.json()["data"][0]["sCode"] == "0"
        tampered = body.replace("0.01", "0.02")
        r = await c.post(
            "/api/v5/trade/order",
            content=tampered,
            headers=signed("POST", "/api/v5/trade/order", body),
        )
        assert r.json()["code"] == "50113"
        assert [o.client_order_id for o in fake.engine.orders] == ["hand1"]


async def test_order_errors_come_per_item_with_scode(fake: FakeExchange) -> None:
    async with httpx.AsyncClient(base_url=fake.url) as c:

        async def place(**kw: str) -> dict[str, Any]:
            order = {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "market"}
            body = json.dumps({**order, **kw})
            r = await c.post(
                "/api/v5/trade/order",
                content=body,
                headers=signed("POST", "/api/v5/trade/order", body),
            )
            assert r.status_code == 200
            out: dict[str, Any] = r.json()
            return out

        bad = await place(sz="0.01", clOrdId="not-alnum")
        assert bad["code"] == "1"
        assert bad["data"][0]["sCode"] == "51000"
        assert "clOrdId" in bad["data"][0]["sMsg"]
        assert (await place(sz="5", clOrdId="big"))["data"][0]["sCode"] == "51008"
        assert (await place(sz="0.000001", clOrdId="tiny"))["data"][0]["sCode"] == "51020"
        assert (await place(sz="0.0001", clOrdId="cheap"))["data"][0]["sCode"] == "51020"
        assert (await place(sz="0.012345", clOrdId="odd"))["data"][0]["sCode"] == "51121"
        ok = await place(sz="0.01", clOrdId="good1")
        assert ok["code"] == "0"
        assert ok["data"][0]["sMsg"] == "Order placed"


async def test_ccxt_okx_round_trip(fake: FakeExchange) -> None:
    ex = okx_client(fake.url)
    try:
        markets = await ex.load_markets()
        m = markets["BTC/USDT"]
        assert m["id"] == "BTC-USDT"
        assert m["precision"] == {"amount": 0.00001, "price": 0.01}
        assert m["limits"]["amount"]["min"] == 0.00001
        assert (await ex.fetch_balance())["total"]["BTC"] == 0.5
        o = await ex.create_order("BTC/USDT", "market", "buy", 0.01, None, {"clOrdId": "rt1"})
        assert o["clientOrderId"] == "rt1"
        got = await ex.fetch_order(None, "BTC/USDT", {"clOrdId": "rt1"})
        assert (got["status"], got["filled"], got["average"]) == ("closed", 0.01, 42000.0)
        await ex.create_order("BTC/USDT", "limit", "sell", 0.01, 45000, {"clOrdId": "rt2"})
        assert [x["clientOrderId"] for x in await ex.fetch_open_orders("BTC/USDT")] == ["rt2"]
        fake.engine.set_price("BTCUSDT", Decimal(45000))  # the resting sell fills
        trades = await ex.fetch_my_trades("BTC/USDT", None, 100)
        assert [(t["side"], t["amount"], t["price"]) for t in trades] == [
            ("buy", 0.01, 42000.0),
            ("sell", 0.01, 45000.0),
        ]
        assert [t["fee"]["cost"] for t in trades] == [0.42, 0.45]
        bills = [int(t["info"]["billId"]) for t in trades]
        assert bills == sorted(bills)
        older = await ex.fetch_my_trades("BTC/USDT", None, 100, {"after": str(bills[1])})
        assert [t["info"]["billId"] for t in older] == [str(bills[0])]
        with pytest.raises(ccxt.OrderNotFound):
            await ex.cancel_order(None, "BTC/USDT", {"clOrdId": "rt2"})  # filled: 51402
        with pytest.raises(ccxt.OrderNotFound):
            await ex.fetch_order(None, "BTC/USDT", {"clOrdId": "never"})
        with pytest.raises(ccxt.InsufficientFunds):
            await ex.create_order("BTC/USDT", "market", "buy", 50, None, {"clOrdId": "rt3"})
        assert (await ex.fetch_ticker("BTC/USDT"))["last"] == 45000.0
        book = await ex.fetch_order_book("BTC/USDT", 5)
        assert book["bids"][0][0] < 45000 < book["asks"][0][0]
        bars = await ex.fetch_ohlcv("BTC/USDT", "1d", 1_704_067_200_000, 3)
        assert [b[0] for b in bars] == [1_704_067_200_000 + i * 86_400_000 for i in range(3)]
        assert abs(await ex.fetch_time() - fake.engine.now_ms()) < 5_000
        # an order placed on OKX's own site has no clOrdId
        fake.engine.place("K", "BTCUSDT", "BUY", "MARKET", Decimal("0.01"), None, None)
        web = (await ex.fetch_my_trades("BTC/USDT", None, 1))[0]
        assert web["info"]["clOrdId"] == ""
        assert (await ex.fetch_order(web["order"], "BTC/USDT"))["clientOrderId"] is None
        fake.script("rate_limit", path="/api/v5/account/balance", retry_after=3)
        with pytest.raises(ccxt.RateLimitExceeded):
            await ex.fetch_balance()
        assert ex.last_response_headers.get("Retry-After") == "3"
    finally:
        await ex.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def okx_program() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vt_fakes.exchange",
            "--wire",
            "okx",
            "--port",
            str(port),
            "--api-key",
            "K",
            "--api-secret",
            "S",
            "--passphrase",
            "P",
            "--demo",
            "--balance",
            "USDT=1000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(url + "/api/v5/public/time", timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_okx_as_a_program_in_demo_mode(okx_program: str) -> None:
    ex = okx_client(okx_program)
    ex.set_sandbox_mode(True)
    ex.urls["api"] = {"rest": okx_program}
    try:
        assert (await ex.fetch_balance())["total"]["USDT"] == 1000.0
        async with httpx.AsyncClient() as c:
            r = await c.post(
                okx_program + "/_fake/price", json={"symbol": "BTCUSDT", "price": 40000}
            )
            assert r.json() == {"ok": True}
        assert (await ex.fetch_ticker("BTC/USDT"))["last"] == 40000.0
    finally:
        await ex.close()
