/**
 * Calendar returns and drawdown episodes from an equity curve (what TradingView's and
 * QuantConnect's reports show next to the equity chart). Pure functions over the Series the
 * engine sends; months and years are UTC calendar periods.
 */
import type { Series } from "@/lib/api/types";

export interface PeriodReturns {
  /** year -> 12 monthly returns in percent (null: no bars that month). */
  months: Map<number, (number | null)[]>;
  /** year -> return over the year's bars, percent. */
  years: Map<number, number>;
}

function points(s: Series): { t: Date; v: number }[] {
  const out: { t: Date; v: number }[] = [];
  for (let i = 0; i < s.timestamps.length; i++) {
    const v = s.values[i];
    if (v === null || v === undefined || !Number.isFinite(v) || v <= 0) continue;
    out.push({ t: new Date(s.timestamps[i]), v });
  }
  return out;
}

/** Each month's return: its last equity over the previous month's last (the first bar for the first month). */
export function periodReturns(equity: Series): PeriodReturns {
  const pts = points(equity);
  const months = new Map<number, (number | null)[]>();
  const years = new Map<number, number>();
  if (!pts.length) return { months, years };
  let base = pts[0].v; // previous month's close
  let yearBase = pts[0].v;
  for (let i = 0; i < pts.length; i++) {
    const { t, v } = pts[i];
    const y = t.getUTCFullYear();
    const m = t.getUTCMonth();
    const next = pts[i + 1]?.t;
    const monthEnds = !next || next.getUTCMonth() !== m || next.getUTCFullYear() !== y;
    if (monthEnds) {
      if (!months.has(y)) months.set(y, new Array(12).fill(null));
      months.get(y)![m] = (v / base - 1) * 100;
      base = v;
    }
    if (!next || next.getUTCFullYear() !== y) {
      years.set(y, (v / yearBase - 1) * 100);
      yearBase = v;
    }
  }
  return { months, years };
}

export interface Drawdown {
  peak: string;
  trough: string;
  /** null: not recovered by the end of the run. */
  recovery: string | null;
  depthPct: number; // negative
  /** peak -> recovery (or -> end when not recovered), calendar days. */
  days: number;
  /** trough -> recovery, calendar days; null when not recovered. */
  recoveryDays: number | null;
}

const DAY = 86_400_000;

/** Drawdown episodes (peak -> trough -> back at the peak), deepest first. */
export function topDrawdowns(equity: Series, n = 5): Drawdown[] {
  const pts = points(equity);
  const out: Drawdown[] = [];
  if (pts.length < 2) return out;
  let peakI = 0;
  let troughI = 0;
  let inDd = false;
  const close = (recoveryI: number | null) => {
    const peak = pts[peakI], trough = pts[troughI];
    const endT = recoveryI === null ? pts[pts.length - 1].t : pts[recoveryI].t;
    out.push({
      peak: peak.t.toISOString(),
      trough: trough.t.toISOString(),
      recovery: recoveryI === null ? null : pts[recoveryI].t.toISOString(),
      depthPct: (trough.v / peak.v - 1) * 100,
      days: Math.round((endT.getTime() - peak.t.getTime()) / DAY),
      recoveryDays: recoveryI === null ? null : Math.round((pts[recoveryI].t.getTime() - trough.t.getTime()) / DAY),
    });
  };
  for (let i = 1; i < pts.length; i++) {
    const v = pts[i].v;
    if (v >= pts[peakI].v) {
      if (inDd) close(i);
      inDd = false;
      peakI = i;
      troughI = i;
    } else {
      inDd = true;
      if (v < pts[troughI].v) troughI = i;
    }
  }
  if (inDd) close(null);
  return out.filter((d) => d.depthPct < 0).sort((a, b) => a.depthPct - b.depthPct).slice(0, n);
}

/** Annualised Sharpe ratio of per-bar returns over a trailing window (null until the window fills or when flat). */
export function rollingSharpe(equity: Series, window = 126, periodsPerYear = 252): Series {
  const ts: string[] = [];
  const vals: (number | null)[] = [];
  const r: number[] = [];
  let prev: number | null = null;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < equity.timestamps.length; i++) {
    const v = equity.values[i];
    if (v === null || v === undefined || !Number.isFinite(v) || v <= 0) continue;
    if (prev !== null) {
      const x = v / prev - 1;
      r.push(x);
      sum += x;
      sumSq += x * x;
      if (r.length > window) {
        const old = r[r.length - 1 - window];
        sum -= old;
        sumSq -= old * old;
      }
      ts.push(equity.timestamps[i]);
      if (r.length >= window) {
        const mean = sum / window;
        const variance = Math.max(0, (sumSq - window * mean * mean) / (window - 1));
        const sd = Math.sqrt(variance);
        vals.push(sd > 1e-12 ? (mean / sd) * Math.sqrt(periodsPerYear) : null);
      } else vals.push(null);
    }
    prev = v;
  }
  return { timestamps: ts, values: vals };
}

export interface SideStats {
  side: "long" | "short";
  trades: number;
  open: number;
  winRatePct: number | null;
  avgReturnPct: number | null;
  pnl: number;
}

interface TradeLike {
  direction: string;
  is_open?: boolean | null;
  return_pct: number;
  pnl: number;
  exit_time?: string | null;
}

/** Long and short trades side by side (closed trades; open ones counted apart). */
export function directionSplit(trades: TradeLike[]): SideStats[] {
  return (["long", "short"] as const)
    .map((side) => {
      const all = trades.filter((t) => t.direction === side);
      const closed = all.filter((t) => !t.is_open);
      const wins = closed.filter((t) => t.pnl > 0).length;
      return {
        side,
        trades: closed.length,
        open: all.length - closed.length,
        winRatePct: closed.length ? (wins / closed.length) * 100 : null,
        avgReturnPct: closed.length ? closed.reduce((a, t) => a + t.return_pct, 0) / closed.length : null,
        pnl: closed.reduce((a, t) => a + t.pnl, 0),
      };
    })
    .filter((s) => s.trades + s.open > 0);
}

/** Running total of closed trades' P&L, at each exit. */
export function cumulativePnl(trades: TradeLike[]): Series {
  const closed = trades.filter((t) => !t.is_open && t.exit_time).sort((a, b) => Date.parse(a.exit_time!) - Date.parse(b.exit_time!));
  let total = 0;
  const timestamps: string[] = [];
  const values: number[] = [];
  for (const t of closed) {
    total += t.pnl;
    // several exits on one bar: one point with the running total after all of them
    if (timestamps.length && Date.parse(timestamps[timestamps.length - 1]) === Date.parse(t.exit_time!)) values[values.length - 1] = total;
    else (timestamps.push(t.exit_time!), values.push(total));
  }
  return { timestamps, values };
}
