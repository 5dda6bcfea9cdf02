"""Numba kernels: the event-driven portfolio simulator and the fused SMA-grid sweep.

Imported lazily (numba compile/cache load costs time); ``vt_engine.warmup()`` exercises
every kernel. All kernels use ``cache=True`` so a kept ``NUMBA_CACHE_DIR`` makes a fresh
worker fast.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit, prange

# Exit / order reasons (keep in sync with simulator.REASONS)
R_SIGNAL = 0
R_STOP = 1
R_TRAIL = 2
R_TP = 3
R_MAXHOLD = 4
R_END = 5
R_REVERSE = 6
R_ENTRY = -1
R_SCALE = -2

# Pending actions
P_NONE = 0
P_EXIT = 1
P_LONG = 2
P_SHORT = 3
P_REV_LONG = 4
P_REV_SHORT = 5
P_SCALE = 6

# Last-bar modes for vt_engine.live (the backtest uses LIVE_OFF)
LIVE_OFF = 0
LIVE_OPEN = 1
LIVE_CLOSE = 2

# Sizing kinds
S_PERCENT = 0
S_CASH = 1
S_VOL = 2
S_KELLY = 3


@njit(cache=True)
def _units(budget: float, fill: float, comm: float, fixed: float, fractional: bool) -> float:
    if budget <= fixed or fill <= 0.0 or not math.isfinite(budget):
        return 0.0
    u = ((budget - fixed) / (1.0 + comm)) / fill
    if not fractional:
        u = math.floor(u)
    return u if u > 0.0 else 0.0


@njit(cache=True)
def simulate_nb(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    entries: np.ndarray,
    exits: np.ndarray,
    s_entries: np.ndarray,
    s_exits: np.ndarray,
    atr_: np.ndarray,
    vol_: np.ndarray,
    beta_: np.ndarray,
    weights: np.ndarray,
    init_cash: float,
    comm: float,
    fixed: float,
    slip: float,
    fill_close: bool,
    fractional: bool,
    sizing_kind: int,
    size_a: float,
    size_b: float,
    size_c: float,
    size_d: float,
    sl_kind: int,
    sl_val: float,
    tsl: float,
    tp_gain: np.ndarray,
    tp_frac: np.ndarray,
    si_move: np.ndarray,
    si_frac: np.ndarray,
    max_hold: int,
    pair_mode: bool,
    risk_on_entry_bar: bool,
    start_bar: int,
    cap: int,
    live_last: int = LIVE_OFF,
) -> Any:
    """The event-driven simulation. ``live_last`` (vt_engine.live) changes only the last bar:
    LIVE_OPEN - the bar is its open print, the trailing peak is not moved by it;
    LIVE_CLOSE - the decision at its close is made (pending actions are returned).
    The 7th output is the final per-column state (see simulator.FinalState)."""
    n, k = close.shape
    decide_last = live_last == LIVE_CLOSE
    hold_peak_last = live_last == LIVE_OPEN
    equity = np.empty(n)
    cash_out = np.empty(n)
    exposure = np.zeros(n, dtype=np.bool_)
    # order records
    o_bar = np.empty(cap, dtype=np.int64)
    o_col = np.empty(cap, dtype=np.int64)
    o_size = np.empty(cap)
    o_price = np.empty(cap)
    o_fees = np.empty(cap)
    o_reason = np.empty(cap, dtype=np.int64)
    # trade records
    t_col = np.empty(cap, dtype=np.int64)
    t_dir = np.empty(cap, dtype=np.int64)
    t_ebar = np.empty(cap, dtype=np.int64)
    t_eprice = np.empty(cap)
    t_xbar = np.empty(cap, dtype=np.int64)
    t_xprice = np.empty(cap)
    t_size = np.empty(cap)
    t_pnl = np.empty(cap)
    t_ret = np.empty(cap)
    t_fees = np.empty(cap)
    t_reason = np.empty(cap, dtype=np.int64)
    t_open = np.zeros(cap, dtype=np.bool_)
    no = 0
    nt = 0
    overflow = False

    pos = np.zeros(k)
    ref = np.zeros(k)  # first fill price (stop / take-profit / scale-in reference)
    avg = np.zeros(k)  # average entry price
    efees = np.zeros(k)  # entry fees not yet allocated to a closed trade
    ebar = np.zeros(k, dtype=np.int64)
    peak = np.zeros(k)  # largest absolute size of the open position
    full = np.zeros(k)  # planned full size (scale-in)
    best = np.zeros(k)
    sl_dist = np.zeros(k)
    tp_next = np.zeros(k, dtype=np.int64)
    si_next = np.zeros(k, dtype=np.int64)
    fresh = np.zeros(k, dtype=np.bool_)  # entered at this bar's close (no intrabar checks)
    pend = np.zeros(k, dtype=np.int64)
    pend_reason = np.zeros(k, dtype=np.int64)
    pend_bar = np.zeros(k, dtype=np.int64)
    last_px = np.zeros(k)
    n_tp = tp_gain.shape[0]
    n_si = si_move.shape[0]
    si_total = 0.0
    for i in range(n_si):
        si_total += si_frac[i]
    # Kelly statistics over closed trades
    kel_n = 0
    kel_w = 0
    kel_sw = 0.0
    kel_sl = 0.0
    # P&L and capital of a position's earlier partial exits: Kelly counts round trips
    kel_pnl = np.zeros(k)
    kel_cap = np.zeros(k)

    cash = init_cash
    for c in range(k):
        last_px[c] = close[0, c]

    for t in range(n):
        for phase in range(3):
            # phase 0: fills at the open of t (next_open mode); phase 1: intrabar risk exits;
            # phase 2: decide and fill at the close (close mode)
            if phase == 0 and fill_close:
                continue
            if phase == 2 and not fill_close:
                continue
            if phase == 1:
                # ---- intrabar risk exits (positions open during this bar) ----
                if not pair_mode and (sl_kind > 0 or tsl > 0.0 or n_tp > 0):
                    for c in range(k):
                        p = pos[c]
                        if p == 0.0 or fresh[c]:
                            continue
                        o = open_[t, c]
                        h = high[t, c]
                        lo = low[t, c]
                        d = 1 if p > 0 else -1
                        # stop level: the tighter of the fixed stop and the trailing stop
                        stop = np.nan
                        sreason = R_STOP
                        if sl_kind > 0:
                            stop = ref[c] - d * sl_dist[c]
                        if tsl > 0.0:
                            trail = best[c] * (1.0 - d * tsl)
                            if (
                                math.isnan(stop)
                                or (d > 0 and trail > stop)
                                or (d < 0 and trail < stop)
                            ):
                                stop = trail
                                sreason = R_TRAIL
                        # stop first (pessimistic), then take-profit stages
                        hit_px = np.nan
                        if not math.isnan(stop):
                            if d > 0:
                                if o <= stop:
                                    hit_px = o
                                elif lo <= stop:
                                    hit_px = stop
                            else:
                                if o >= stop:
                                    hit_px = o
                                elif h >= stop:
                                    hit_px = stop
                        if not math.isnan(hit_px):
                            u = abs(p)
                            fill = hit_px * (1.0 - slip) if d > 0 else hit_px * (1.0 + slip)
                            fee = u * fill * comm + fixed
                            if d > 0:
                                cash += u * fill - fee
                            else:
                                cash -= u * fill + fee
                            pnl = d * u * (fill - avg[c]) - efees[c] - fee
                            if no < cap:
                                o_bar[no] = t
                                o_col[no] = c
                                o_size[no] = -p
                                o_price[no] = fill
                                o_fees[no] = fee
                                o_reason[no] = sreason
                                no += 1
                            else:
                                overflow = True
                            if nt < cap:
                                t_col[nt] = c
                                t_dir[nt] = d
                                t_ebar[nt] = ebar[c]
                                t_eprice[nt] = avg[c]
                                t_xbar[nt] = t
                                t_xprice[nt] = fill
                                t_size[nt] = u
                                t_pnl[nt] = pnl
                                t_ret[nt] = pnl / (u * avg[c]) * 100.0
                                t_fees[nt] = efees[c] + fee
                                t_reason[nt] = sreason
                                nt += 1
                            else:
                                overflow = True
                            r = (kel_pnl[c] + pnl) / (kel_cap[c] + u * avg[c])
                            kel_pnl[c] = 0.0
                            kel_cap[c] = 0.0
                            kel_n += 1
                            if r > 0:
                                kel_w += 1
                                kel_sw += r
                            else:
                                kel_sl += -r
                            pos[c] = 0.0
                            efees[c] = 0.0
                            pend[c] = P_NONE
                            continue
                        while tp_next[c] < n_tp and pos[c] != 0.0:
                            j = tp_next[c]
                            level = ref[c] * (1.0 + d * tp_gain[j])
                            if d > 0:
                                if o >= level:
                                    hit_px = o
                                elif h >= level:
                                    hit_px = level
                                else:
                                    break
                            else:
                                if o <= level:
                                    hit_px = o
                                elif lo <= level:
                                    hit_px = level
                                else:
                                    break
                            tp_next[c] = j + 1
                            if j == n_tp - 1:
                                u = abs(pos[c])
                            else:
                                u = tp_frac[j] * peak[c]
                                if not fractional:
                                    u = math.floor(u + 1e-9)
                                if u > abs(pos[c]):
                                    u = abs(pos[c])
                            if u <= 0.0:
                                continue
                            fill = hit_px * (1.0 - slip) if d > 0 else hit_px * (1.0 + slip)
                            fee = u * fill * comm + fixed
                            if d > 0:
                                cash += u * fill - fee
                            else:
                                cash -= u * fill + fee
                            alloc = efees[c] * u / abs(pos[c])
                            pnl = d * u * (fill - avg[c]) - alloc - fee
                            if no < cap:
                                o_bar[no] = t
                                o_col[no] = c
                                o_size[no] = -d * u
                                o_price[no] = fill
                                o_fees[no] = fee
                                o_reason[no] = R_TP
                                no += 1
                            else:
                                overflow = True
                            if nt < cap:
                                t_col[nt] = c
                                t_dir[nt] = d
                                t_ebar[nt] = ebar[c]
                                t_eprice[nt] = avg[c]
                                t_xbar[nt] = t
                                t_xprice[nt] = fill
                                t_size[nt] = u
                                t_pnl[nt] = pnl
                                t_ret[nt] = pnl / (u * avg[c]) * 100.0
                                t_fees[nt] = alloc + fee
                                t_reason[nt] = R_TP
                                nt += 1
                            else:
                                overflow = True
                            kel_pnl[c] += pnl
                            kel_cap[c] += u * avg[c]
                            efees[c] -= alloc
                            pos[c] -= d * u
                            if abs(pos[c]) < 1e-12:
                                r = kel_pnl[c] / kel_cap[c]
                                kel_pnl[c] = 0.0
                                kel_cap[c] = 0.0
                                kel_n += 1
                                if r > 0:
                                    kel_w += 1
                                    kel_sw += r
                                else:
                                    kel_sl += -r
                                pos[c] = 0.0
                                efees[c] = 0.0
                                pend[c] = P_NONE
                        if pos[c] != 0.0 and tsl > 0.0 and not (hold_peak_last and t == n - 1):
                            if d > 0:
                                if h > best[c]:
                                    best[c] = h
                            else:
                                if lo < best[c]:
                                    best[c] = lo
                continue
            if phase == 2 and t >= start_bar:
                # close mode: decide on this bar and fill at its close right away
                for c in range(k):
                    if pair_mode and c == 1:
                        continue
                    pend[c] = P_NONE
                    p = pos[c]
                    if p > 0:
                        if s_entries[t, c] and not s_exits[t, c]:
                            pend[c] = P_REV_SHORT
                        elif exits[t, c]:
                            pend[c] = P_EXIT
                            pend_reason[c] = R_SIGNAL
                        elif max_hold > 0 and t - ebar[c] >= max_hold:
                            pend[c] = P_EXIT
                            pend_reason[c] = R_MAXHOLD
                    elif p < 0:
                        if entries[t, c] and not exits[t, c]:
                            pend[c] = P_REV_LONG
                        elif s_exits[t, c]:
                            pend[c] = P_EXIT
                            pend_reason[c] = R_SIGNAL
                        elif max_hold > 0 and t - ebar[c] >= max_hold:
                            pend[c] = P_EXIT
                            pend_reason[c] = R_MAXHOLD
                    else:
                        le = entries[t, c] and not exits[t, c]
                        se = s_entries[t, c] and not s_exits[t, c]
                        if le and not se:
                            pend[c] = P_LONG
                        elif se and not le:
                            pend[c] = P_SHORT
                    pend_bar[c] = t
            price_arr = close if phase == 2 else open_
            # ---- exits first (frees cash for entries) ----
            for c in range(k):
                if pend[c] == P_NONE or pend[c] == P_LONG or pend[c] == P_SHORT:
                    continue
                if pend[c] == P_SCALE:
                    continue
                cols_lo = c
                cols_hi = c + 1
                if pair_mode:
                    cols_lo = 0
                    cols_hi = 2
                for cc in range(cols_lo, cols_hi):
                    p = pos[cc]
                    if p == 0.0:
                        continue
                    px = price_arr[t, cc]
                    u = abs(p)
                    if p > 0:
                        fill = px * (1.0 - slip)
                        fee = u * fill * comm + fixed
                        cash += u * fill - fee
                        d = 1
                    else:
                        fill = px * (1.0 + slip)
                        fee = u * fill * comm + fixed
                        cash -= u * fill + fee
                        d = -1
                    reason = pend_reason[c]
                    if pend[c] == P_REV_LONG or pend[c] == P_REV_SHORT:
                        reason = R_REVERSE
                    if no < cap:
                        o_bar[no] = t
                        o_col[no] = cc
                        o_size[no] = -p
                        o_price[no] = fill
                        o_fees[no] = fee
                        o_reason[no] = reason
                        no += 1
                    else:
                        overflow = True
                    pnl = d * u * (fill - avg[cc]) - efees[cc] - fee
                    if nt < cap:
                        t_col[nt] = cc
                        t_dir[nt] = d
                        t_ebar[nt] = ebar[cc]
                        t_eprice[nt] = avg[cc]
                        t_xbar[nt] = t
                        t_xprice[nt] = fill
                        t_size[nt] = u
                        t_pnl[nt] = pnl
                        t_ret[nt] = pnl / (u * avg[cc]) * 100.0
                        t_fees[nt] = efees[cc] + fee
                        t_reason[nt] = reason
                        nt += 1
                    else:
                        overflow = True
                    r = (kel_pnl[cc] + pnl) / (kel_cap[cc] + u * avg[cc])
                    kel_pnl[cc] = 0.0
                    kel_cap[cc] = 0.0
                    kel_n += 1
                    if r > 0:
                        kel_w += 1
                        kel_sw += r
                    else:
                        kel_sl += -r
                    pos[cc] = 0.0
                    efees[cc] = 0.0
                if pend[c] == P_EXIT:
                    pend[c] = P_NONE
                elif pend[c] == P_REV_LONG:
                    pend[c] = P_LONG
                elif pend[c] == P_REV_SHORT:
                    pend[c] = P_SHORT
            # ---- entries / scale-ins ----
            # equity at the fill price, after exits
            eq_now = cash
            for c in range(k):
                if pos[c] != 0.0:
                    eq_now += pos[c] * price_arr[t, c]
            for c in range(k):
                act = pend[c]
                if act == P_NONE:
                    continue
                pend[c] = P_NONE
                db = pend_bar[c]
                if act == P_SCALE:
                    j = si_next[c]
                    if pos[c] == 0.0 or j >= n_si:
                        continue
                    d = 1 if pos[c] > 0 else -1
                    px = price_arr[t, c]
                    fill = px * (1.0 + slip) if d > 0 else px * (1.0 - slip)
                    u = full[c] * si_frac[j]
                    if not fractional:
                        u = math.floor(u + 1e-9)
                    budget_u = _units(max(cash, 0.0), fill, comm, fixed, fractional)
                    if u > budget_u:
                        u = budget_u
                    si_next[c] = j + 1
                    if u <= 0.0:
                        continue
                    fee = u * fill * comm + fixed
                    if d > 0:
                        cash -= u * fill + fee
                    else:
                        cash += u * fill - fee
                    avg[c] = (abs(pos[c]) * avg[c] + u * fill) / (abs(pos[c]) + u)
                    pos[c] += d * u
                    efees[c] += fee
                    if abs(pos[c]) > peak[c]:
                        peak[c] = abs(pos[c])
                    if no < cap:
                        o_bar[no] = t
                        o_col[no] = c
                        o_size[no] = d * u
                        o_price[no] = fill
                        o_fees[no] = fee
                        o_reason[no] = R_SCALE
                        no += 1
                    else:
                        overflow = True
                    continue
                if act != P_LONG and act != P_SHORT:
                    continue
                if pos[c] != 0.0:
                    continue
                d = 1 if act == P_LONG else -1
                w = weights[c]
                # target value of the whole position
                if sizing_kind == S_PERCENT:
                    target = size_a * w * eq_now
                elif sizing_kind == S_CASH:
                    target = size_a
                elif sizing_kind == S_VOL:
                    v = vol_[db, c]
                    if not (v > 0.0):
                        continue
                    lev = size_a / v
                    if lev > size_b:
                        lev = size_b
                    target = lev * w * eq_now
                else:
                    if kel_n >= size_c:
                        wr = kel_w / kel_n
                        if kel_w == 0:
                            kf = 0.0
                        elif kel_n - kel_w == 0:
                            kf = 1.0
                        else:
                            aw = kel_sw / kel_w
                            al = kel_sl / (kel_n - kel_w)
                            kf = wr - (1.0 - wr) / (aw / al) if al > 0 else 1.0
                        frac = size_a * kf
                        if frac > size_b:
                            frac = size_b
                        if frac < 0.0:
                            frac = 0.0
                    else:
                        frac = size_d
                    target = frac * w * eq_now
                budget = min(target, cash)
                if budget <= 0.0:
                    continue
                if pair_mode:
                    b = abs(beta_[db, 0])
                    if not math.isfinite(b):
                        continue
                    va = budget / (1.0 + b)
                    vb = budget - va
                    pa = price_arr[t, 0]
                    pb = price_arr[t, 1]
                    fa = pa * (1.0 + slip) if d > 0 else pa * (1.0 - slip)
                    fb = pb * (1.0 - slip) if d > 0 else pb * (1.0 + slip)
                    ua = _units(va, fa, comm, fixed, fractional)
                    ub = _units(vb, fb, comm, fixed, fractional)
                    if ua <= 0.0 or ub <= 0.0:
                        continue
                    for cc in range(2):
                        dd = d if cc == 0 else -d
                        uu = ua if cc == 0 else ub
                        ff = fa if cc == 0 else fb
                        fee = uu * ff * comm + fixed
                        if dd > 0:
                            cash -= uu * ff + fee
                        else:
                            cash += uu * ff - fee
                        pos[cc] = dd * uu
                        avg[cc] = ff
                        ref[cc] = ff
                        efees[cc] = fee
                        ebar[cc] = t
                        peak[cc] = uu
                        if no < cap:
                            o_bar[no] = t
                            o_col[no] = cc
                            o_size[no] = dd * uu
                            o_price[no] = ff
                            o_fees[no] = fee
                            o_reason[no] = R_ENTRY
                            no += 1
                        else:
                            overflow = True
                    continue
                px = price_arr[t, c]
                fill = px * (1.0 + slip) if d > 0 else px * (1.0 - slip)
                u_full = _units(budget, fill, comm, fixed, fractional)
                if u_full <= 0.0:
                    continue
                u = u_full
                if n_si > 0:
                    u = u_full * (1.0 - si_total)
                    if not fractional:
                        u = math.floor(u + 1e-9)
                    if u <= 0.0:
                        continue
                fee = u * fill * comm + fixed
                if d > 0:
                    cash -= u * fill + fee
                else:
                    cash += u * fill - fee
                pos[c] = d * u
                avg[c] = fill
                ref[c] = fill
                efees[c] = fee
                ebar[c] = t
                peak[c] = u
                full[c] = u_full
                best[c] = fill
                tp_next[c] = 0
                si_next[c] = 0
                fresh[c] = phase == 2 or not risk_on_entry_bar
                if sl_kind == 1:
                    sl_dist[c] = fill * sl_val
                elif sl_kind == 2:
                    a = atr_[db, c]
                    sl_dist[c] = sl_val * a if math.isfinite(a) else np.inf
                if no < cap:
                    o_bar[no] = t
                    o_col[no] = c
                    o_size[no] = d * u
                    o_price[no] = fill
                    o_fees[no] = fee
                    o_reason[no] = R_ENTRY
                    no += 1
                else:
                    overflow = True

        for c in range(k):
            fresh[c] = False

        # ---- decision at the close of t (next_open mode: pending for t+1) ----
        if not fill_close and t >= start_bar and (t < n - 1 or decide_last):
            for c in range(k):
                if pair_mode and c == 1:
                    continue
                pend[c] = P_NONE
                p = pos[c]
                if p > 0:
                    if s_entries[t, c] and not s_exits[t, c]:
                        pend[c] = P_REV_SHORT
                    elif exits[t, c]:
                        pend[c] = P_EXIT
                        pend_reason[c] = R_SIGNAL
                    elif max_hold > 0 and t - ebar[c] + 1 >= max_hold:
                        pend[c] = P_EXIT
                        pend_reason[c] = R_MAXHOLD
                elif p < 0:
                    if entries[t, c] and not exits[t, c]:
                        pend[c] = P_REV_LONG
                    elif s_exits[t, c]:
                        pend[c] = P_EXIT
                        pend_reason[c] = R_SIGNAL
                    elif max_hold > 0 and t - ebar[c] + 1 >= max_hold:
                        pend[c] = P_EXIT
                        pend_reason[c] = R_MAXHOLD
                else:
                    le = entries[t, c] and not exits[t, c]
                    se = s_entries[t, c] and not s_exits[t, c]
                    if le and not se:
                        pend[c] = P_LONG
                    elif se and not le:
                        pend[c] = P_SHORT
                pend_bar[c] = t
        # scale-in triggers (decided on the close, filled at the next fill)
        if n_si > 0 and t >= start_bar and (fill_close or t < n - 1 or decide_last):
            for c in range(k):
                if pos[c] == 0.0 or si_next[c] >= n_si:
                    continue
                if pend[c] != P_NONE and not fill_close:
                    continue
                d = 1 if pos[c] > 0 else -1
                move = d * (close[t, c] / ref[c] - 1.0)
                m = si_move[si_next[c]]
                if (m < 0 and move <= m) or (m >= 0 and move >= m):
                    if fill_close:
                        # filled right away at this close
                        j = si_next[c]
                        fill = close[t, c] * (1.0 + d * slip)
                        u = full[c] * si_frac[j]
                        if not fractional:
                            u = math.floor(u + 1e-9)
                        bu = _units(max(cash, 0.0), fill, comm, fixed, fractional)
                        if u > bu:
                            u = bu
                        si_next[c] = j + 1
                        if u > 0.0:
                            fee = u * fill * comm + fixed
                            if d > 0:
                                cash -= u * fill + fee
                            else:
                                cash += u * fill - fee
                            avg[c] = (abs(pos[c]) * avg[c] + u * fill) / (abs(pos[c]) + u)
                            pos[c] += d * u
                            efees[c] += fee
                            if abs(pos[c]) > peak[c]:
                                peak[c] = abs(pos[c])
                            if no < cap:
                                o_bar[no] = t
                                o_col[no] = c
                                o_size[no] = d * u
                                o_price[no] = fill
                                o_fees[no] = fee
                                o_reason[no] = R_SCALE
                                no += 1
                            else:
                                overflow = True
                    else:
                        pend[c] = P_SCALE
                        pend_bar[c] = t
        # ---- mark to market at the close ----
        eq = cash
        any_pos = False
        for c in range(k):
            if pos[c] != 0.0:
                eq += pos[c] * close[t, c]
                any_pos = True
        equity[t] = eq
        cash_out[t] = cash
        exposure[t] = any_pos

    # still-open positions: one open trade each, marked to the last close (no exit fee)
    for c in range(k):
        p = pos[c]
        if p == 0.0:
            continue
        d = 1 if p > 0 else -1
        u = abs(p)
        px = close[n - 1, c]
        pnl = d * u * (px - avg[c]) - efees[c]
        if nt < cap:
            t_col[nt] = c
            t_dir[nt] = d
            t_ebar[nt] = ebar[c]
            t_eprice[nt] = avg[c]
            t_xbar[nt] = n - 1
            t_xprice[nt] = px
            t_size[nt] = u
            t_pnl[nt] = pnl
            t_ret[nt] = pnl / (u * avg[c]) * 100.0
            t_fees[nt] = efees[c]
            t_reason[nt] = R_END
            t_open[nt] = True
            nt += 1
        else:
            overflow = True

    return (
        equity,
        cash_out,
        exposure,
        (o_bar[:no], o_col[:no], o_size[:no], o_price[:no], o_fees[:no], o_reason[:no]),
        (
            t_col[:nt],
            t_dir[:nt],
            t_ebar[:nt],
            t_eprice[:nt],
            t_xbar[:nt],
            t_xprice[:nt],
            t_size[:nt],
            t_pnl[:nt],
            t_ret[:nt],
            t_fees[:nt],
            t_reason[:nt],
            t_open[:nt],
        ),
        overflow,
        (pos, avg, ref, sl_dist, best, tp_next, peak, pend, pend_reason, si_next, full, ebar),
    )


# ------------------------------------------------------------------------------------------
# Fused SMA-crossover grid (validation sweep)
# ------------------------------------------------------------------------------------------


@njit(cache=True)
def _sma_from_cumsum(cs: np.ndarray, w: int, t: int) -> float:
    if t < w - 1:
        return np.nan
    v: float = (cs[t + 1] - cs[t + 1 - w]) / w
    return v


@njit(cache=True)
def _sma_cross_one(
    open_: np.ndarray,
    close: np.ndarray,
    cs: np.ndarray,
    fw: int,
    sw: int,
    init_cash: float,
    comm: float,
    fixed: float,
    slip: float,
    fractional: bool,
    start_bar: int,
    ppy: float,
    out: np.ndarray,
) -> None:
    """One long-only SMA(fw)/SMA(sw) crossover, all-in, next-open fills, fused with metrics.

    out = [total_return_pct, sharpe, max_drawdown_pct, trades (closed), final_equity,
           win_trades, gross_win, gross_loss]"""
    n = close.shape[0]
    cash = init_cash
    pos = 0.0
    avg = 0.0
    efee = 0.0
    pend = 0  # 1 buy, -1 sell
    prev_eq = init_cash
    peak = init_cash
    mdd = 0.0
    s1 = 0.0
    s2 = 0.0
    m = 0
    trades = 0
    wins = 0
    gw = 0.0
    gl = 0.0
    pf_prev = np.nan
    ps_prev = np.nan
    for t in range(n):
        if pend == -1 and pos > 0.0:
            fill = open_[t] * (1.0 - slip)
            fee = pos * fill * comm + fixed
            cash += pos * fill - fee
            pnl = pos * (fill - avg) - efee - fee
            trades += 1
            if pnl > 0:
                wins += 1
                gw += pnl
            else:
                gl -= pnl
            pos = 0.0
            efee = 0.0
        elif pend == 1 and pos == 0.0:
            fill = open_[t] * (1.0 + slip)
            u = _units(cash, fill, comm, fixed, fractional)
            if u > 0.0:
                fee = u * fill * comm + fixed
                cash -= u * fill + fee
                pos = u
                avg = fill
                efee = fee
        pend = 0
        pf = _sma_from_cumsum(cs, fw, t)
        ps = _sma_from_cumsum(cs, sw, t)
        if t >= start_bar and t < n - 1:
            if pos > 0.0:
                if pf < ps and pf_prev >= ps_prev:
                    pend = -1
            else:
                if pf > ps and pf_prev <= ps_prev:
                    pend = 1
        pf_prev = pf
        ps_prev = ps
        eq = cash + pos * close[t]
        if t >= start_bar:
            r = eq / prev_eq - 1.0
            s1 += r
            s2 += r * r
            m += 1
            if eq > peak:
                peak = eq
            dd = 1.0 - eq / peak
            if dd > mdd:
                mdd = dd
            prev_eq = eq
    final = cash + pos * close[n - 1]
    out[0] = (final / init_cash - 1.0) * 100.0
    if m > 1:
        mean = s1 / m
        var = (s2 - m * mean * mean) / (m - 1)
        out[1] = mean / math.sqrt(var) * math.sqrt(ppy) if var > 0 else np.nan
    else:
        out[1] = np.nan
    out[2] = mdd * 100.0
    out[3] = trades
    out[4] = final
    out[5] = wins
    out[6] = gw
    out[7] = gl


@njit(cache=True, parallel=True)
def sma_grid_nb(
    open_: np.ndarray,
    close: np.ndarray,
    fast: np.ndarray,
    slow: np.ndarray,
    init_cash: float,
    comm: float,
    fixed: float,
    slip: float,
    fractional: bool,
    start_bar: int,
    ppy: float,
) -> np.ndarray:
    n = close.shape[0]
    cs = np.zeros(n + 1)
    for t in range(n):
        cs[t + 1] = cs[t] + close[t]
    npairs = fast.shape[0]
    out = np.empty((npairs, 8))
    for i in prange(npairs):
        _sma_cross_one(
            open_,
            close,
            cs,
            fast[i],
            slow[i],
            init_cash,
            comm,
            fixed,
            slip,
            fractional,
            start_bar,
            ppy,
            out[i],
        )
    return out
