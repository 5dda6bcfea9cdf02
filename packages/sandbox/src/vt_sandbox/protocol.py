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


Dataset = tuple["npt.NDArray[np.int64]", dict[str, "npt.NDArray[np.float64]"]]


def encode_input_many(header: dict[str, Any], datasets: list[Dataset]) -> bytes:
    """A batch: ``header["datasets"]`` lists the row counts, the arrays follow in order."""
    header = dict(header, datasets=[len(index_ns) for index_ns, _ in datasets])
    head = json.dumps(header, allow_nan=False).encode("utf-8")
    parts = [IN_MAGIC, _LEN.pack(len(head)), head]
    for index_ns, columns in datasets:
        parts.append(index_ns.astype("<i8").tobytes())
        parts.extend(columns[name].astype("<f8").tobytes() for name in OHLCV)
    return b"".join(parts)


def decode_input_many(blob: bytes) -> list[Dataset]:
    import numpy as np

    header, pos = decode_input_header(blob)
    out: list[Dataset] = []
    for n in header["datasets"]:
        n = int(n)
        index_ns = np.frombuffer(blob, dtype="<i8", count=n, offset=pos).astype(np.int64)
        pos += 8 * n
        columns: dict[str, npt.NDArray[np.float64]] = {}
        for name in OHLCV:
            columns[name] = np.frombuffer(blob, dtype="<f8", count=n, offset=pos).astype(np.float64)
            pos += 8 * n
        out.append((index_ns, columns))
    return out


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


def encode_batch_output(
    header: dict[str, Any], arrays: list[dict[str, npt.NDArray[np.uint8]]]
) -> bytes:
    """One frame for a batch: ``header["results"][i]["arrays"]`` names call i's arrays."""
    head = json.dumps(header, allow_nan=False, ensure_ascii=True).encode("ascii")
    body = b"".join(a[name].astype("u1").tobytes() for a in arrays for name in a)
    return OUT_MAGIC + _LEN.pack(len(head)) + head + body


@dataclass(frozen=True, slots=True)
class ChildOutput:
    header: dict[str, Any]
    arrays: dict[str, npt.NDArray[np.bool_]]


class FrameError(ValueError):
    """The child's reply is malformed (it crashed mid-write or was tampered with)."""


def max_output_bytes(n_rows: int) -> int:
    """The largest valid reply for ``n_rows`` signal rows in total (all calls of a batch)."""
    return len(OUT_MAGIC) + _LEN.size + MAX_HEADER_BYTES + len(SIGNAL_NAMES) * n_rows


def _decode_header(blob: bytes) -> tuple[dict[str, Any], int]:
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
    return header, pos + head_len


def _array_names(names: object) -> list[str]:
    if (
        not isinstance(names, list)
        or len(set(names)) != len(names)
        or any(name not in SIGNAL_NAMES for name in names)
    ):
        raise FrameError("result lists unknown arrays")
    return names


def _read_arrays(
    blob: bytes, pos: int, names: list[str], n_rows: int
) -> tuple[dict[str, npt.NDArray[np.bool_]], int]:
    import numpy as np

    arrays: dict[str, npt.NDArray[np.bool_]] = {}
    for name in names:
        raw = np.frombuffer(blob, dtype=np.uint8, count=n_rows, offset=pos)
        pos += n_rows
        if raw.size and int(raw.max()) > 1:
            raise FrameError(f"{name} contains values other than 0/1")
        arr = raw.astype(np.bool_)
        arr.flags.writeable = False
        arrays[name] = arr
    return arrays, pos


def decode_batch_output(blob: bytes, rows: list[int]) -> tuple[dict[str, Any], list[ChildOutput]]:
    """Parse a batch reply (call i has ``rows[i]`` bars). An error reply has no results."""
    header, pos = _decode_header(blob)
    if header.get("status") != "ok":
        if len(blob) != pos:
            raise FrameError("an error reply carries arrays")
        return header, []
    results = header.get("results")
    if not isinstance(results, list) or len(results) != len(rows):
        raise FrameError("result count does not match the calls")
    names_per_call = []
    for item in results:
        if not isinstance(item, dict):
            raise FrameError("a result is not an object")
        names_per_call.append(_array_names(item.get("arrays", [])))
    expected = pos + sum(n * len(names) for n, names in zip(rows, names_per_call, strict=True))
    if len(blob) != expected:
        raise FrameError("result arrays have the wrong size")
    outputs = []
    for item, names, n in zip(results, names_per_call, rows, strict=True):
        arrays, pos = _read_arrays(blob, pos, names, n)
        outputs.append(ChildOutput(header=item, arrays=arrays))
    return header, outputs


def decode_output(blob: bytes, n_rows: int) -> ChildOutput:
    """Parse and validate a single-call reply; raises FrameError on anything unexpected."""
    header, pos = _decode_header(blob)
    names = _array_names(header.get("arrays", []))
    if len(blob) != pos + n_rows * len(names):
        raise FrameError("result arrays have the wrong size")
    arrays, _ = _read_arrays(blob, pos, names, n_rows)
    return ChildOutput(header=header, arrays=arrays)
