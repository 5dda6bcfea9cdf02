"""`python -m vt_fakes.tws --port 7497`: a fake paper TWS for people and the offline stack."""

from __future__ import annotations

import argparse
import asyncio
import logging
from decimal import Decimal

from vt_fakes.tws.server import FakeTws


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Fake TWS (paper account DU0000001, server version 178)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7497)
    parser.add_argument(
        "--price",
        action="append",
        default=[],
        metavar="SYMBOL=PRICE",
        help="price feed for market orders, e.g. --price AAPL=191.5 (repeatable)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    async def run() -> None:
        tws = FakeTws(args.host, args.port)
        for item in args.price:
            symbol, _, price = item.partition("=")
            tws.set_price(symbol.upper(), Decimal(price))
        await tws.start()
        await tws.serve_forever()

    asyncio.run(run())


if __name__ == "__main__":
    main()
