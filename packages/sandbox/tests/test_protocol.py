"""The parent never trusts the child's bytes; the seccomp program is well-formed."""

from __future__ import annotations

import numpy as np
import pytest

from vt_sandbox import protocol, seccomp


def _frame(header: dict[str, object], body: bytes) -> bytes:
    import json
    import struct

    head = json.dumps(header).encode()
    return protocol.OUT_MAGIC + struct.pack(">I", len(head)) + head + body


def test_round_trip() -> None:
    arrays = {"entries": np.array([1, 0, 1], np.uint8), "exits": np.array([0, 0, 1], np.uint8)}
    blob = protocol.encode_output({"status": "ok"}, arrays)
    out = protocol.decode_output(blob, 3)
    assert out.arrays["entries"].tolist() == [True, False, True]
    assert not out.arrays["exits"].flags.writeable


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"garbage",
        _frame({"arrays": ["entries"]}, b"\x00\x01"),  # too short
        _frame({"arrays": ["entries"]}, b"\x00\x01\x02"),  # not 0/1
        _frame({"arrays": ["evil"]}, b"\x00\x01\x00"),  # unknown name
        _frame({"arrays": ["entries", "entries"]}, b"\x00" * 6),  # duplicate
        protocol.OUT_MAGIC + b"\xff\xff\xff\xff",  # absurd header length
    ],
)
def test_forged_replies_are_rejected(blob: bytes) -> None:
    with pytest.raises(protocol.FrameError):
        protocol.decode_output(blob, 3)


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_seccomp_program_is_well_formed(machine: str) -> None:
    prog = seccomp.build_filter(1234, machine)
    assert prog[-1] == (0x06, 0, 0, 0x7FFF0000)  # default allow at the end
    assert all(jt <= 255 and jf <= 255 for _, jt, jf, _ in prog)
    for index, (code, jt, jf, _) in enumerate(prog):
        if code in (0x15, 0x45, 0x35):
            assert index + 1 + max(jt, jf) < len(prog)  # every jump lands inside
    assert len(seccomp.pack(prog)) == 8 * len(prog)


def test_unknown_architecture() -> None:
    with pytest.raises(OSError, match="no seccomp syscall table"):
        seccomp.build_filter(1, "sparc")
