"""`python -m vt_fakes.exchange --port 8910 --api-key K --api-secret S [--balance USDT=100000]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from decimal import Decimal

from vt_fakes.exchange.server import FakeExchange


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeExchange()
    balances = {k: Decimal(v) for k, v in (b.split("=", 1) for b in args.balance)} or None
    fake.add_account(args.api_key, args.api_secret, balances)
    await fake.start(args.host, args.port)
    logging.getLogger("vt_fakes.exchange").warning(
        "fake Binance spot REST on %s (api key %s; scripting under POST /_fake/...)",
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
    p.add_argument("--balance", action="append", default=[], help="ASSET=AMOUNT, repeatable")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(p.parse_args()))


if __name__ == "__main__":
    main()
