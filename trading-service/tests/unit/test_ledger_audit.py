"""Audit chain: canonical hashing, verification, single-record tamper detection, redaction."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vt_trading.ledger.audit import (
    GENESIS,
    REDACTED,
    ChainedRecord,
    canonical_json,
    chain_hash,
    redact,
    seal,
    verify,
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.text(max_size=12)
    | st.integers(-(10**8), 10**8).map(lambda n: Decimal(n).scaleb(-4))
)
json_values = (
    scalars
    | st.lists(scalars, max_size=3)
    | st.dictionaries(st.text(max_size=6), scalars, max_size=3)
)
records = st.dictionaries(st.text(min_size=1, max_size=8), json_values, min_size=1, max_size=5)


def build(contents: list[dict[str, Any]]) -> list[ChainedRecord]:
    out: list[ChainedRecord] = []
    prev = GENESIS
    for c in contents:
        r = seal(prev, c)
        out.append(r)
        prev = r.hash
    return out


def test_canonical_json_is_order_free_and_typed() -> None:
    a = {"b": Decimal("1.10"), "a": [1, {"y": 2, "x": 1}], "t": datetime(2024, 1, 1, tzinfo=UTC)}
    b = {"t": datetime(2024, 1, 1, tzinfo=UTC), "a": [1, {"x": 1, "y": 2}], "b": Decimal("1.10")}
    assert canonical_json(a) == canonical_json(b)
    assert '"b":"1.10"' in canonical_json(a)
    assert chain_hash(GENESIS, a) == chain_hash(GENESIS, b)
    assert len(chain_hash(GENESIS, a)) == 64
    assert canonical_json({"u": uuid.UUID(int=1)}) == '{"u":"00000000-0000-0000-0000-000000000001"}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})
    with pytest.raises(TypeError):
        canonical_json({"x": object()})


@settings(max_examples=150, deadline=None)
@given(st.lists(records, min_size=1, max_size=12))
def test_an_untouched_chain_verifies(contents: list[dict[str, Any]]) -> None:
    chain = build(contents)
    assert verify(chain) is None
    assert verify([]) is None
    # a page of a longer chain verifies from its anchor
    k = len(chain) // 2
    anchor = chain[k - 1].hash if k else GENESIS
    assert verify(chain[k:], anchor) is None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(records, min_size=2, max_size=12),
    st.data(),
    st.sampled_from(["content", "hash", "prev", "delete", "swap", "insert", "drop_key"]),
)
def test_any_single_record_tamper_is_detected(
    contents: list[dict[str, Any]], data: st.DataObject, how: str
) -> None:
    chain = build(contents)
    i = data.draw(st.integers(0, len(chain) - 2))
    t = list(chain)
    r = t[i]
    if how == "content":
        key = data.draw(st.sampled_from(sorted(r.record)))
        new = data.draw(
            json_values.filter(lambda v: canonical_json(v) != canonical_json(r.record[key]))
        )
        t[i] = replace(r, record={**r.record, key: new})
    elif how == "drop_key":
        key = data.draw(st.sampled_from(sorted(r.record)))
        t[i] = replace(r, record={k: v for k, v in r.record.items() if k != key})
    elif how == "hash":
        t[i] = replace(r, hash=chain_hash("forged", r.record))
    elif how == "prev":
        t[i] = replace(r, prev_hash="f" * 64)
    elif how == "delete":
        del t[i]
    elif how == "swap":
        t[i], t[i + 1] = t[i + 1], t[i]
    elif how == "insert":  # a well-formed record sealed onto the previous one
        t.insert(i, seal(r.prev_hash, {"forged": True}))
        i += 1  # the chain breaks at the record after it
    assert verify(t) == i


def test_redact_secrets_anywhere() -> None:
    raw = {
        "api_key": "AKIA123",
        "apiKey": "x",
        "X-MBX-APIKEY": "y",
        "Authorization": "Bearer abc.def",
        "has_credentials": True,
        "nested": [{"password": "p", "user": "u"}, {"clientSecret": "s", "qty": Decimal("1")}],
        "url": "https://api.example.com/order?symbol=BTCUSDT&timestamp=1&signature=deadbeef",
        "log": "sent with token=abc123; Authorization: Bearer eyJhbGciOi",
        "price": 100,
    }
    out = redact(raw)
    text = canonical_json(out)
    for secret in ("AKIA123", "deadbeef", "abc123", "eyJhbGciOi", "abc.def", '"p"', '"s"'):
        assert secret not in text
    assert out["api_key"] == REDACTED
    assert out["X-MBX-APIKEY"] == REDACTED
    assert out["has_credentials"] is True
    assert out["nested"][0]["user"] == "u"
    assert out["nested"][1]["qty"] == Decimal("1")
    assert "symbol=BTCUSDT" in out["url"]
    assert out["price"] == 100
    assert raw["api_key"] == "AKIA123"  # a copy, the input is untouched
    assert redact(out) == out
