"""Run the fake exchange: in-process (tests, on the caller's event loop) or as a program."""

from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from vt_fakes.exchange.binance import BinanceWire
from vt_fakes.exchange.engine import Engine, Fault
from vt_fakes.exchange.okx import OkxWire

WIRES = ("binance", "okx")


class FakeExchange:
    """A fake exchange on 127.0.0.1: Binance spot REST (`wire="binance"`) or OKX v5 REST
    (`wire="okx"`) over the same engine. `engine` is the state tests script (prices, faults,
    partial fills, clock skew); `url` is what goes into ccxt's `urls['api']`."""

    def __init__(self, engine: Engine | None = None, wire: str = "binance") -> None:
        if wire not in WIRES:
            raise ValueError(f"wire must be one of {', '.join(WIRES)}, got {wire!r}")
        self.engine = engine or Engine()
        self.wire_name = wire
        self.wire: BinanceWire | OkxWire = (
            OkxWire(self.engine) if wire == "okx" else BinanceWire(self.engine)
        )
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_account(
        self,
        api_key: str,
        secret: str,
        balances: dict[str, Decimal] | None = None,
        *,
        can_withdraw: bool = False,
        passphrase: str | None = None,
        demo: bool = False,
    ) -> None:
        """`passphrase` and `demo` (a demo-trading key: x-simulated-trading) are OKX's."""
        self.engine.add_account(
            api_key, secret, balances, can_withdraw=can_withdraw, passphrase=passphrase, demo=demo
        )

    def script(self, kind: str, **kw: object) -> None:
        self.engine.script(Fault(kind, **kw))  # type: ignore[arg-type]

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeExchange:
        app = self.wire.app()
        app.router.add_route("POST", "/_fake/{action}", self._admin)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _admin(self, request: web.Request) -> web.Response:
        """Scripting for a fake run as a program (devstack, people): POST /_fake/price
        {symbol, price}, /_fake/fault {kind, path?, method?, times?, retry_after?, status?},
        /_fake/release {symbol?}, /_fake/skew {ms}, /_fake/partial {symbol, fraction|null}."""
        action = request.match_info["action"]
        data = await request.json() if request.can_read_body else {}
        e = self.engine
        if action == "price":
            e.set_price(data["symbol"], Decimal(str(data["price"])))
        elif action == "fault":
            e.script(Fault(**data))
        elif action == "release":
            return web.json_response({"released": e.release(data.get("symbol"))})
        elif action == "skew":
            e.clock_offset_ms = int(data["ms"])
        elif action == "partial":
            if data.get("fraction") is None:
                e.fill_fraction.pop(data["symbol"], None)
            else:
                e.fill_fraction[data["symbol"]] = Decimal(str(data["fraction"]))
        else:
            return web.json_response({"error": f"unknown action {action}"}, status=404)
        return web.json_response({"ok": True})
