"""`python -m vt_fakes.exchange --port 8910 --api-key K --api-secret S [--balance USDT=100000]`
(Binance spot REST), or `--wire okx --passphrase P [--demo]` for OKX v5 REST."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from decimal import Decimal

from vt_fakes.exchange.server import FakeExchange


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeExchange(wire=args.wire)
    balances = {k: Decimal(v) for k, v in (b.split("=", 1) for b in args.balance)} or None
    fake.add_account(
        args.api_key, args.api_secret, balances, passphrase=args.passphrase, demo=args.demo
    )
    await fake.start(args.host, args.port)
    logging.getLogger("vt_fakes.exchange").warning(
        "fake %s on %s (api key %s; scripting under POST /_fake/...)",
        "OKX v5 REST" if args.wire == "okx" else "Binance spot REST",
        fake.url if args.host == "127.0.0.1" else f"http://{args.host}:{fake.port}",
        args.api_key,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m vt_fakes.exchange", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8910)
    p.add_argument("--api-key", default="K")
    p.add_argument("--api-secret", default="S")
    p.add_argument("--wire", choices=("binance", "okx"), default="binance")
    p.add_argument("--passphrase", default="P", help="OKX: the API key's passphrase")
    p.add_argument(
        "--demo", action="store_true", help="OKX: a demo-trading key (x-simulated-trading: 1)"
    )
    p.add_argument("--balance", action="append", default=[], help="ASSET=AMOUNT, repeatable")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(p.parse_args()))


if __name__ == "__main__":
    main()
