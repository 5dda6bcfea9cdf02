"""Wire format between parent and child: JSON header + raw little-endian arrays.

Nothing is ever pickled in either direction; the parent treats every byte coming back
from the child as untrusted and validates it before building numpy arrays.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

IN_MAGIC = b"VTSBIN1\n"
OUT_MAGIC = b"VTSBOUT1"
_LEN = struct.Struct(">I")
MAX_HEADER_BYTES = 1024 * 1024
SIGNAL_NAMES = ("entries", "exits", "short_entries", "short_exits")
OHLCV = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True, slots=True)
class ChildInput:
    header: dict[str, Any]
    index_ns: npt.NDArray[np.int64]
    columns: dict[str, npt.NDArray[np.float64]]


def encode_input(
    header: dict[str, Any],
    index_ns: npt.NDArray[np.int64],
    columns: dict[str, npt.NDArray[np.float64]],
) -> bytes:
    head = json.dumps(header, allow_nan=False).encode("utf-8")
    parts = [IN_MAGIC, _LEN.pack(len(head)), head, index_ns.astype("<i8").tobytes()]
    parts.extend(columns[name].astype("<f8").tobytes() for name in OHLCV)
    return b"".join(parts)


def decode_input_header(blob: bytes) -> tuple[dict[str, Any], int]:
    """The JSON header and the offset of the arrays (no numpy needed)."""
    if not blob.startswith(IN_MAGIC):
        raise ValueError("bad input frame")
    pos = len(IN_MAGIC)
    (head_len,) = _LEN.unpack_from(blob, pos)
    pos += _LEN.size
    header = json.loads(blob[pos : pos + head_len].decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("bad input header")
    return header, pos + head_len


def decode_input(blob: bytes) -> ChildInput:
    import numpy as np

    header, pos = decode_input_header(blob)
    n = int(header["n"])
    index_ns = np.frombuffer(blob, dtype="<i8", count=n, offset=pos).astype(np.int64)
    pos += 8 * n
    columns: dict[str, npt.NDArray[np.float64]] = {}
    for name in OHLCV:
        columns[name] = np.frombuffer(blob, dtype="<f8", count=n, offset=pos).astype(np.float64)
        pos += 8 * n
    return ChildInput(header=header, index_ns=index_ns, columns=columns)


def encode_output(header: dict[str, Any], arrays: dict[str, npt.NDArray[np.uint8]]) -> bytes:
    header = dict(header, arrays=list(arrays))
    head = json.dumps(header, allow_nan=False, ensure_ascii=True).encode("ascii")
    body = b"".join(arrays[name].astype("u1").tobytes() for name in arrays)
    return OUT_MAGIC + _LEN.pack(len(head)) + head + body


@dataclass(frozen=True, slots=True)
class ChildOutput:
    header: dict[str, Any]
    arrays: dict[str, npt.NDArray[np.bool_]]


class FrameError(ValueError):
    """The child's reply is malformed (it crashed mid-write or was tampered with)."""


def max_output_bytes(n_rows: int) -> int:
    return len(OUT_MAGIC) + _LEN.size + MAX_HEADER_BYTES + len(SIGNAL_NAMES) * n_rows


def decode_output(blob: bytes, n_rows: int) -> ChildOutput:
    """Parse and validate the child's reply; raises FrameError on anything unexpected."""
    import numpy as np

    if not blob.startswith(OUT_MAGIC) or len(blob) < len(OUT_MAGIC) + _LEN.size:
        raise FrameError("missing result frame")
    pos = len(OUT_MAGIC)
    (head_len,) = _LEN.unpack_from(blob, pos)
    pos += _LEN.size
    if head_len > MAX_HEADER_BYTES or pos + head_len > len(blob):
        raise FrameError("result header is truncated or too large")
    try:
        header = json.loads(blob[pos : pos + head_len].decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FrameError(f"result header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise FrameError("result header is not an object")
    pos += head_len
    names = header.get("arrays", [])
    if (
        not isinstance(names, list)
        or len(set(names)) != len(names)
        or any(name not in SIGNAL_NAMES for name in names)
    ):
        raise FrameError("result lists unknown arrays")
    if len(blob) != pos + n_rows * len(names):
        raise FrameError("result arrays have the wrong size")
    arrays: dict[str, npt.NDArray[np.bool_]] = {}
    for name in names:
        raw = np.frombuffer(blob, dtype=np.uint8, count=n_rows, offset=pos)
        pos += n_rows
        if raw.size and int(raw.max()) > 1:
            raise FrameError(f"{name} contains values other than 0/1")
        arr = raw.astype(np.bool_)
        arr.flags.writeable = False
        arrays[name] = arr
    return ChildOutput(header=header, arrays=arrays)
