"""`python -m vt_fakes.exchange` as a program: real ccxt against it, scripted over HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt
import httpx
import pytest

sys.path.append(str(Path(__file__).parent))
from test_exchange import client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def program() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vt_fakes.exchange",
            "--port",
            str(port),
            "--api-key",
            "K",
            "--api-secret",
            "S",
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
                httpx.get(url + "/api/v3/ping", timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_program_trades_and_scripts(program: str) -> None:
    ex: Any = client(program)
    try:
        await ex.load_markets()
        async with httpx.AsyncClient(base_url=program) as admin:
            (
                await admin.post("/_fake/price", json={"symbol": "BTCUSDT", "price": "40000"})
            ).raise_for_status()
            o = await ex.create_order(
                "BTC/USDT", "market", "buy", 0.001, None, {"clientOrderId": "x1"}
            )
            assert o["average"] == 40000.0
            (
                await admin.post("/_fake/fault", json={"kind": "rate_limit", "retry_after": 3})
            ).raise_for_status()
            with pytest.raises(ccxt.DDoSProtection):
                await ex.fetch_balance()
            (await admin.post("/_fake/skew", json={"ms": -60000})).raise_for_status()
            with pytest.raises(ccxt.InvalidNonce):
                await ex.fetch_balance()
        assert (await ex.fetch_time()) > 0
    finally:
        await ex.close()
