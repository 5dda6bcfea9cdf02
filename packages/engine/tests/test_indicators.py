"""Indicator values against independent loop implementations, and look-ahead truncation."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from engine_helpers import ohlcv

from vt_engine import indicators as ind

DF = ohlcv(300, seed=3)
C = DF["close"]


def wilder_ref(values: list[float], window: int) -> list[float]:
    """Textbook Wilder: seed with the mean of the first `window` values, then recursive."""
    out = [math.nan] * len(values)
    if len(values) < window:
        return out
    avg = sum(values[:window]) / window
    out[window - 1] = avg
    for i in range(window, len(values)):
        avg = (avg * (window - 1) + values[i]) / window
        out[i] = avg
    return out


def rsi_ref(close: list[float], window: int) -> list[float]:
    gains = [max(close[i] - close[i - 1], 0.0) for i in range(1, len(close))]
    losses = [max(close[i - 1] - close[i], 0.0) for i in range(1, len(close))]
    ag = wilder_ref(gains, window)
    al = wilder_ref(losses, window)
    out = [math.nan]
    for g, lo in zip(ag, al, strict=True):
        if math.isnan(g):
            out.append(math.nan)
        elif lo == 0:
            out.append(100.0 if g > 0 else 50.0)
        else:
            out.append(100 - 100 / (1 + g / lo))
    return out


def tr_ref(h: list[float], lo: list[float], c: list[float]) -> list[float]:
    return [
        max(h[i] - lo[i], abs(h[i] - c[i - 1]), abs(lo[i] - c[i - 1])) for i in range(1, len(c))
    ]


def test_rsi_hand_fixture() -> None:
    # classic textbook numbers: 15 closes, RSI(14) on the 15th
    close = pd.Series(
        [
            44.34,
            44.09,
            44.15,
            43.61,
            44.33,
            44.83,
            45.10,
            45.42,
            45.84,
            46.08,
            45.89,
            46.03,
            45.61,
            46.28,
            46.28,
        ]
    )
    r = ind.rsi(close, 14)
    assert r.iloc[:14].isna().all()
    assert r.iloc[14] == pytest.approx(70.46, abs=0.01)


def test_rsi_matches_wilder_reference() -> None:
    got = ind.rsi(C, 14).to_numpy()
    ref = np.array(rsi_ref(C.tolist(), 14))
    np.testing.assert_allclose(got, ref, rtol=1e-10, equal_nan=True)


def test_atr_matches_wilder_reference() -> None:
    got = ind.atr(DF["high"], DF["low"], DF["close"], 14).to_numpy()
    tr = tr_ref(DF["high"].tolist(), DF["low"].tolist(), DF["close"].tolist())
    ref = np.array([math.nan, *wilder_ref(tr, 14)])
    np.testing.assert_allclose(got, ref, rtol=1e-10, equal_nan=True)
    assert np.isnan(got[:14]).all()
    assert not np.isnan(got[14])


def test_adx_matches_wilder_reference() -> None:
    h, lo, c = DF["high"].tolist(), DF["low"].tolist(), DF["close"].tolist()
    w = 14
    pdm, mdm = [], []
    for i in range(1, len(c)):
        up, down = h[i] - h[i - 1], lo[i - 1] - lo[i]
        pdm.append(up if up > down and up > 0 else 0.0)
        mdm.append(down if down > up and down > 0 else 0.0)
    tr = tr_ref(h, lo, c)
    s_tr, s_p, s_m = wilder_ref(tr, w), wilder_ref(pdm, w), wilder_ref(mdm, w)
    pdi = [100 * p / t if not math.isnan(t) else math.nan for p, t in zip(s_p, s_tr, strict=True)]
    mdi = [100 * m / t if not math.isnan(t) else math.nan for m, t in zip(s_m, s_tr, strict=True)]
    dx = [
        100 * abs(p - m) / (p + m) if not math.isnan(p) else math.nan
        for p, m in zip(pdi, mdi, strict=True)
    ]
    adx_ref = [math.nan] * (w - 1) + wilder_ref(dx[w - 1 :], w)
    got = ind.adx(DF["high"], DF["low"], DF["close"], w)
    np.testing.assert_allclose(got["plus_di"].to_numpy()[1:], pdi, rtol=1e-10, equal_nan=True)
    np.testing.assert_allclose(got["minus_di"].to_numpy()[1:], mdi, rtol=1e-10, equal_nan=True)
    np.testing.assert_allclose(got["adx"].to_numpy()[1:], adx_ref, rtol=1e-10, equal_nan=True)
    assert np.isnan(got["adx"].to_numpy()[: 2 * w - 1]).all()
    assert not np.isnan(got["adx"].to_numpy()[2 * w - 1])


def test_moving_averages_reference() -> None:
    x = C.tolist()
    sma = ind.sma(C, 5).to_numpy()
    assert np.isnan(sma[:4]).all()
    assert sma[10] == pytest.approx(sum(x[6:11]) / 5)
    wma = ind.wma(C, 4).to_numpy()
    assert wma[9] == pytest.approx((x[6] * 1 + x[7] * 2 + x[8] * 3 + x[9] * 4) / 10)
    ema = ind.ema(C, 10).to_numpy()
    a = 2 / 11
    e = x[0]
    ref = [e]
    for v in x[1:]:
        e = a * v + (1 - a) * e
        ref.append(e)
    assert np.isnan(ema[:9]).all()
    np.testing.assert_allclose(ema[9:], ref[9:], rtol=1e-12)


def test_macd_bbands_stoch_donchian_vwap_roc_vol_zscore_values() -> None:
    m = ind.macd(C, 12, 26, 9)
    np.testing.assert_allclose(m["hist"], m["macd"] - m["signal"], equal_nan=True)
    np.testing.assert_allclose(m["macd"], ind.ema(C, 12) - ind.ema(C, 26), equal_nan=True)
    b = ind.bbands(C, 20, 2.0)
    i = 50
    win = C.iloc[i - 19 : i + 1].to_numpy()
    mid, sd = win.mean(), win.std()
    assert b["middle"].iloc[i] == pytest.approx(mid)
    assert b["upper"].iloc[i] == pytest.approx(mid + 2 * sd)
    assert b["percent_b"].iloc[i] == pytest.approx((C.iloc[i] - (mid - 2 * sd)) / (4 * sd))
    st = ind.stoch(DF["high"], DF["low"], DF["close"], 14, 1, 3)
    hh = DF["high"].iloc[i - 13 : i + 1].max()
    ll = DF["low"].iloc[i - 13 : i + 1].min()
    assert st["k"].iloc[i] == pytest.approx(100 * (C.iloc[i] - ll) / (hh - ll))
    assert st["d"].iloc[i] == pytest.approx(st["k"].iloc[i - 2 : i + 1].mean())
    dc = ind.donchian(DF["high"], DF["low"], 20)
    assert dc["upper"].iloc[i] == pytest.approx(DF["high"].iloc[i - 20 : i].max())
    assert dc["lower"].iloc[i] == pytest.approx(DF["low"].iloc[i - 20 : i].min())
    assert np.isnan(dc["upper"].iloc[19])
    assert not np.isnan(dc["upper"].iloc[20])
    tp = (DF["high"] + DF["low"] + DF["close"]) / 3
    vw = ind.vwap(DF["high"], DF["low"], DF["close"], DF["volume"], 10)
    v = DF["volume"]
    assert vw.iloc[i] == pytest.approx(
        (tp * v).iloc[i - 9 : i + 1].sum() / v.iloc[i - 9 : i + 1].sum()
    )
    assert ind.roc(C, 5).iloc[i] == pytest.approx(100 * (C.iloc[i] / C.iloc[i - 5] - 1))
    lr = np.diff(np.log(C.to_numpy()))
    rv = ind.realized_vol(C, 20, 252)
    assert rv.iloc[i] == pytest.approx(np.std(lr[i - 20 : i], ddof=1) * math.sqrt(252) * 100)
    z = ind.zscore(C, 20)
    assert z.iloc[i] == pytest.approx((C.iloc[i] - mid) / sd)


def test_vwap_session_reset() -> None:
    idx = pd.date_range("2024-01-02 14:30", periods=6, freq="3h", tz="UTC")
    h = pd.Series([10.0, 11, 12, 13, 14, 15], index=idx)
    v = pd.Series([1.0, 2, 3, 4, 5, 6], index=idx)
    out = ind.vwap(h, h, h, v)
    day = idx.normalize()
    assert out.iloc[0] == 10.0
    first_of_day2 = int(np.argmax(day != day[0]))
    assert out.iloc[first_of_day2] == h.iloc[first_of_day2]


def test_spread_zscore_fixed_and_rolling_beta() -> None:
    a = ohlcv(200, seed=1)["close"]
    b = ohlcv(200, seed=2)["close"]
    fixed = ind.spread_zscore(a, b, 30, hedge_ratio=0.8)
    np.testing.assert_allclose(fixed["spread"], np.log(a) - 0.8 * np.log(b))
    roll = ind.spread_zscore(a, b, 30)
    i = 100
    la, lb = np.log(a.to_numpy()[i - 29 : i + 1]), np.log(b.to_numpy()[i - 29 : i + 1])
    beta = np.cov(la, lb, ddof=1)[0, 1] / np.var(lb, ddof=1)
    assert roll["beta"].iloc[i] == pytest.approx(beta)
    # exact co-movement: beta recovers the true hedge ratio
    b2 = pd.Series(np.exp(np.linspace(0, 1, 100)) * 50, index=a.index[:100])
    a2 = np.exp(1.5 * np.log(b2) + 0.3)
    assert ind.spread_zscore(a2, b2, 20)["beta"].iloc[-1] == pytest.approx(1.5)


def test_boolean_helpers() -> None:
    a = pd.Series([1.0, 2, 3, 2, 1, 1, 3])
    b = pd.Series([2.0, 2, 2, 2, 2, 2, 2])
    assert ind.crosses_above(a, b).tolist() == [False, False, True, False, False, False, True]
    assert ind.crosses_below(a, b).tolist() == [False, False, False, False, True, False, False]
    assert ind.crosses_above(a, 2.0).tolist() == ind.crosses_above(a, b).tolist()
    assert ind.crosses_above(pd.Series([np.nan, 3.0]), 2.0).tolist() == [False, False]
    cond = pd.Series([True, True, False, True, True, True])
    assert ind.for_n_bars(cond, 2).tolist() == [False, True, False, False, True, True]
    assert ind.for_n_bars(cond, 1).tolist() == cond.tolist()


def test_bad_window_rejected() -> None:
    with pytest.raises(ValueError, match="window"):
        ind.sma(C, 0)
    with pytest.raises(ValueError, match="fast"):
        ind.macd(C, 26, 12)


H, L, V = DF["high"], DF["low"], DF["volume"]
CASES: dict[str, Callable[[pd.DataFrame], pd.Series | pd.DataFrame]] = {
    "sma": lambda d: ind.sma(d["close"], 20),
    "ema": lambda d: ind.ema(d["close"], 20),
    "wma": lambda d: ind.wma(d["close"], 20),
    "rsi": lambda d: ind.rsi(d["close"], 14),
    "macd": lambda d: ind.macd(d["close"]),
    "bbands": lambda d: ind.bbands(d["close"]),
    "atr": lambda d: ind.atr(d["high"], d["low"], d["close"]),
    "adx": lambda d: ind.adx(d["high"], d["low"], d["close"]),
    "stoch": lambda d: ind.stoch(d["high"], d["low"], d["close"]),
    "donchian": lambda d: ind.donchian(d["high"], d["low"]),
    "vwap_rolling": lambda d: ind.vwap(d["high"], d["low"], d["close"], d["volume"], 15),
    "vwap_session": lambda d: ind.vwap(d["high"], d["low"], d["close"], d["volume"]),
    "roc": lambda d: ind.roc(d["close"], 5),
    "realized_vol": lambda d: ind.realized_vol(d["close"], 20, 252),
    "zscore": lambda d: ind.zscore(d["close"]),
    "spread_zscore": lambda d: ind.spread_zscore(d["close"], d["open"], 30),
    "crosses_above": lambda d: ind.crosses_above(ind.sma(d["close"], 5), ind.sma(d["close"], 20)),
    "crosses_below": lambda d: ind.crosses_below(d["close"], ind.sma(d["close"], 20)),
    "for_n_bars": lambda d: ind.for_n_bars(d["close"] > d["open"], 3),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_look_ahead(name: str) -> None:
    """Truncating the future (and scrambling it) never changes a past value."""
    fn = CASES[name]
    full = fn(DF)
    rng = np.random.default_rng(11)
    for cut in (60, 150, 299):
        past = fn(DF.iloc[:cut])
        pd.testing.assert_frame_equal(
            pd.DataFrame(past).reset_index(drop=True),
            pd.DataFrame(full).iloc[:cut].reset_index(drop=True),
            check_exact=False,
            rtol=1e-9,
        )
        # a different future gives the same past
        other = DF.copy()
        other.iloc[cut:] = other.iloc[cut:] * rng.uniform(0.5, 1.5, size=(len(DF) - cut, 1))
        changed = fn(other)
        pd.testing.assert_frame_equal(
            pd.DataFrame(changed).iloc[:cut].reset_index(drop=True),
            pd.DataFrame(full).iloc[:cut].reset_index(drop=True),
            check_exact=False,
            rtol=1e-9,
        )
    # warm-up is NaN, then values
    first = pd.DataFrame(full).iloc[-1]
    assert first.notna().all()
