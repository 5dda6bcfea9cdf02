"""The TWS socket framing: a 4-byte big-endian length prefix, then NUL-terminated text fields.

The connection opens with the raw bytes ``API\\0`` followed by one framed message carrying the
client's supported version range (``v157..178``, optionally `` +OPTIONS``); the server answers
with a framed ``<server version>\\0<connection time>\\0`` and from then on both sides exchange
framed messages whose first field is the message id."""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable

HANDSHAKE_PREFIX = b"API\0"

# The one server version this fake speaks: the newest ib_async 2.1.0 accepts (its client range
# is 157..178). Field lists below follow that version (no faProfile in openOrder since 177,
# pendingPriceRevision in execDetails since 178, advancedOrderRejectJson in errors since 166).
SERVER_VERSION = 178
MIN_CLIENT_VERSION = 157

_RANGE = re.compile(rb"^v(\d+)(?:\.\.(\d+))?")


def field(value: object) -> str:
    """One value as TWS writes it: booleans as 1/0, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def frame(fields: Iterable[object]) -> bytes:
    body = "".join(field(f) + "\0" for f in fields).encode()
    return struct.pack(">I", len(body)) + body


def split_frames(buffer: bytes) -> tuple[list[list[str]], bytes]:
    """Complete framed messages at the front of ``buffer`` (as field lists) and the remainder."""
    out: list[list[str]] = []
    while len(buffer) >= 4:
        size = struct.unpack(">I", buffer[:4])[0]
        if len(buffer) < 4 + size:
            break
        body = buffer[4 : 4 + size].decode(errors="backslashreplace")
        buffer = buffer[4 + size :]
        parts = body.split("\0")
        if parts and parts[-1] == "":
            parts.pop()
        out.append(parts)
    return out, buffer


def negotiate(payload: bytes) -> int | None:
    """The version to speak with a client announcing ``v<min>..<max>``; None when the ranges do
    not overlap (the real TWS then closes the socket)."""
    m = _RANGE.match(payload)
    if not m:
        return None
    low = int(m.group(1))
    high = int(m.group(2) or m.group(1))
    version = min(high, SERVER_VERSION)
    if version < max(low, MIN_CLIENT_VERSION):
        return None
    return version
