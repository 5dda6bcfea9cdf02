"""User uploads: validation naming the bad row/column, per-user visibility, serving as frames;
files in the data directory."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pandas as pd
import pytest
from md_testkit import make_user

from vt_contracts.ohlcv import OHLCVFrame

GOOD_CSV = (
    "Date,Open,High,Low,Close,Volume\n"
    "2024-01-02,10,11,9,10.5,1000\n"
    "2024-01-03,10.5,11.5,10,11,1200\n"
    "2024-01-04,11,12,10.5,11.5,900\n"
    "2024-01-05,11.5,12,11,11.8,1100\n"
)


def hourly_csv(hours: int = 48) -> str:
    idx = pd.date_range("2024-01-01", periods=hours, freq="1h", tz="UTC")
    rows = [
        f"{t.isoformat()},{100 + i},{101 + i},{99 + i},{100.5 + i},{10}" for i, t in enumerate(idx)
    ]
    return "timestamp,open,high,low,close,volume\n" + "\n".join(rows) + "\n"


async def upload(
    client: httpx.AsyncClient,
    user: object,
    content: str | bytes,
    *,
    symbol: str = "MY_SERIES",
    timeframe: str | None = "1d",
    name: str = "bars.csv",
) -> httpx.Response:
    data = {"symbol": symbol} | ({"timeframe": timeframe} if timeframe else {})
    body = content.encode() if isinstance(content, str) else content
    return await client.post(
        "/uploads",
        data=data,
        files={"file": (name, body, "text/csv")},
        headers={"X-User-Id": str(user)},
    )


async def test_upload_then_read_back_only_by_its_owner(
    client: httpx.AsyncClient, clean_db: str
) -> None:
    alice, bob = make_user(clean_db), make_user(clean_db)
    r = await upload(client, alice, GOOD_CSV)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["rows"] == 4
    assert body["symbol"] == "MY_SERIES"
    assert body["timeframe"] == "1d"
    assert body["quality"]["bars"] == 4
    r = await client.get(
        "/ohlcv", params={"symbol": "MY_SERIES"}, headers={"X-User-Id": str(alice)}
    )
    f = OHLCVFrame.model_validate_json(r.content)
    assert f.provider == "upload"
    assert f.close == [10.5, 11.0, 11.5, 11.8]
    assert "your upload 'bars.csv'" in (f.label or "")
    # bob cannot see it, and neither can a call without a user
    r = await client.get("/ohlcv", params={"symbol": "MY_SERIES"}, headers={"X-User-Id": str(bob)})
    assert r.status_code == 404
    r = await client.get(
        "/ohlcv",
        params={"symbol": "MY_SERIES", "provider": "upload"},
        headers={"X-User-Id": str(bob)},
    )
    assert r.status_code == 404
    assert "no upload" in r.json()["detail"]
    assert (await client.get("/uploads", headers={"X-User-Id": str(bob)})).json() == {
        "items": [],
        "next_cursor": None,
    }
    listed = (await client.get("/uploads", headers={"X-User-Id": str(alice)})).json()
    assert [d["symbol"] for d in listed["items"]] == ["MY_SERIES"]


async def test_upload_takes_precedence_over_the_provider(
    client: httpx.AsyncClient, clean_db: str, stubs: dict[str, object]
) -> None:
    alice = make_user(clean_db)
    assert (await upload(client, alice, GOOD_CSV, symbol="aapl")).status_code == 201
    r = await client.get("/ohlcv", params={"symbol": "AAPL"}, headers={"X-User-Id": str(alice)})
    f = OHLCVFrame.model_validate_json(r.content)
    assert f.provider == "upload"
    assert f.market == "us_equity"
    assert len(f.timestamps) == 4
    assert stubs["yahoo"].seen == []  # type: ignore[attr-defined]


async def test_upload_is_resampled_and_parquet_works(
    client: httpx.AsyncClient, clean_db: str
) -> None:
    alice = make_user(clean_db)
    df = pd.read_csv(io.StringIO(hourly_csv()))
    buf = io.BytesIO()
    df.to_parquet(buf)
    r = await upload(
        client, alice, buf.getvalue(), symbol="ETH_PRIVATE", timeframe="1h", name="eth.parquet"
    )
    assert r.status_code == 201, r.text
    r = await client.get(
        "/ohlcv",
        params={"symbol": "ETH_PRIVATE", "timeframe": "4h"},
        headers={"X-User-Id": str(alice)},
    )
    f = OHLCVFrame.model_validate_json(r.content)
    assert len(f.timestamps) == 12
    assert f.volume[0] == 40
    r = await client.get(
        "/ohlcv",
        params={"symbol": "ETH_PRIVATE", "timeframe": "1m"},
        headers={"X-User-Id": str(alice)},
    )
    assert r.status_code == 422
    assert "cannot be made" in r.json()["detail"]


@pytest.mark.parametrize(
    ("content", "timeframe", "needle"),
    [
        (GOOD_CSV.replace("Close", "Last"), "1d", "column 'close' is missing"),
        (GOOD_CSV.replace("Date", "Day"), "1d", "column 'timestamp' is missing"),
        (
            GOOD_CSV.replace("11,1200", "eleven,1200"),
            "1d",
            "row 2 (line 3 of the file), column 'close': 'eleven' is not a number",
        ),
        (
            GOOD_CSV.replace("2024-01-04", "2024-13-45"),
            "1d",
            "row 3 (line 4 of the file), column 'Date'",
        ),
        (GOOD_CSV.replace("2024-01-05", "2024-01-04"), "1d", "appears twice"),
        (
            GOOD_CSV.replace("900", "-900"),
            "1d",
            "row 3 (line 4 of the file), column 'volume': volume cannot be negative",
        ),
        (GOOD_CSV.replace(",1100", ","), "1d", "row 4 (line 5 of the file), column 'volume'"),
        ("", "1d", "is empty"),
        ("timestamp,open,high,low,close,volume\n", "1d", "no rows"),
        (GOOD_CSV, "1h", "1d apart"),
        (GOOD_CSV, "7m", "not supported"),
    ],
)
async def test_bad_uploads_name_the_row_and_column(
    client: httpx.AsyncClient, clean_db: str, content: str, timeframe: str, needle: str
) -> None:
    alice = make_user(clean_db)
    r = await upload(client, alice, content, timeframe=timeframe)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert needle in r.json()["detail"]


async def test_upload_flags_but_keeps_bad_prices(client: httpx.AsyncClient, clean_db: str) -> None:
    alice = make_user(clean_db)
    r = await upload(
        client, alice, GOOD_CSV.replace("2024-01-03,10.5,11.5,10,", "2024-01-03,10.5,9,10,")
    )
    assert r.status_code == 201
    assert {i["kind"] for i in r.json()["quality"]["issues"]} >= {"high_below_low"}


async def test_upload_needs_a_user(client: httpx.AsyncClient, clean_db: str) -> None:
    r = await client.post(
        "/uploads",
        data={"symbol": "X", "timeframe": "1d"},
        files={"file": ("a.csv", GOOD_CSV.encode())},
    )
    assert r.status_code == 401
    assert (await client.get("/uploads")).status_code == 401


async def test_files_in_the_data_directory(client: httpx.AsyncClient, data_dir: Path) -> None:
    (data_dir / "my_hourly.csv").write_text(hourly_csv())
    r = await client.get("/ohlcv", params={"symbol": "FILE:my_hourly", "timeframe": "1d"})
    f = OHLCVFrame.model_validate_json(r.content)
    assert f.provider == "file"
    assert len(f.timestamps) == 2
    assert f.volume == [240.0, 240.0]
    r = await client.get("/ohlcv", params={"symbol": "FILE:absent"})
    assert r.status_code == 404
    assert "data directory" in r.json()["detail"]


async def test_upload_for_unknown_user_is_404(client: httpx.AsyncClient, clean_db: str) -> None:
    r = await upload(client, "00000000-0000-4000-8000-000000000000", GOOD_CSV)
    assert r.status_code == 404
    assert "does not exist" in r.json()["detail"]
    r = await client.get("/uploads", headers={"X-User-Id": "not-a-uuid"})
    assert r.status_code == 422


def _pandas_frame(tz: str | None = None) -> pd.DataFrame:
    idx = pd.date_range("2024-01-02", periods=4, freq="B", tz=tz)
    return pd.DataFrame(
        {
            "Open": [10.0, 10.5, 11.0, 11.5],
            "High": [11.0, 11.5, 12.0, 12.0],
            "Low": [9.0, 10.0, 10.5, 11.0],
            "Close": [10.5, 11.0, 11.5, 11.8],
            "Volume": [1000, 1200, 900, 1100],
        },
        index=idx,
    )


@pytest.mark.parametrize("tz", [None, "UTC"])
async def test_upload_accepts_pandas_default_csv(
    client: httpx.AsyncClient, clean_db: str, tz: str | None
) -> None:
    """`df.to_csv()` writes the date index as an unnamed first column: it is the timestamp."""
    alice = make_user(clean_db)
    content = _pandas_frame(tz).to_csv()
    assert content.startswith(",Open")
    r = await upload(client, alice, content)
    assert r.status_code == 201, r.text
    r = await client.get(
        "/ohlcv", params={"symbol": "MY_SERIES"}, headers={"X-User-Id": str(alice)}
    )
    f = OHLCVFrame.model_validate_json(r.content)
    assert f.close == [10.5, 11.0, 11.5, 11.8]
    assert f.timestamps[0].isoformat().startswith("2024-01-02")


async def test_upload_accepts_parquet_with_an_unnamed_date_index(
    client: httpx.AsyncClient, clean_db: str
) -> None:
    alice = make_user(clean_db)
    buf = io.BytesIO()
    _pandas_frame().to_parquet(buf)
    r = await upload(client, alice, buf.getvalue(), name="bars.parquet")
    assert r.status_code == 201, r.text
    assert r.json()["rows"] == 4


async def test_upload_with_a_row_number_first_column_says_so(
    client: httpx.AsyncClient, clean_db: str
) -> None:
    alice = make_user(clean_db)
    content = _pandas_frame().reset_index(drop=True).to_csv()
    r = await upload(client, alice, content)
    assert r.status_code == 422
    assert "row numbers" in r.json()["detail"]
