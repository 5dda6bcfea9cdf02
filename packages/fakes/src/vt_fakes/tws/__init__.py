"""A fake TWS / IB Gateway that speaks the real TWS socket protocol (server version 178), so
ib_async runs unmodified against it. See `server.FakeTws` for the scripting surface."""

from vt_fakes.tws.server import FakeTws, Session
from vt_fakes.tws.venue import PAPER_ACCOUNT, OrderScript, Venue
from vt_fakes.tws.wire import SERVER_VERSION

__all__ = ["PAPER_ACCOUNT", "SERVER_VERSION", "FakeTws", "OrderScript", "Session", "Venue"]
