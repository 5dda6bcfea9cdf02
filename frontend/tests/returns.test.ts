import { describe, expect, it } from "vitest";
import { periodReturns, topDrawdowns } from "@/lib/returns";

const s = (pairs: [string, number][]) => ({ timestamps: pairs.map(([t]) => `${t}T00:00:00Z`), values: pairs.map(([, v]) => v) });

describe("calendar returns", () => {
  it("chains month-end to month-end and year-end to year-end", () => {
    const r = periodReturns(s([["2020-01-02", 100], ["2020-01-31", 110], ["2020-02-28", 99], ["2020-12-31", 121], ["2021-01-29", 133.1]]));
    const m2020 = r.months.get(2020)!;
    expect(m2020[0]).toBeCloseTo(10);
    expect(m2020[1]).toBeCloseTo(-10);
    expect(m2020[2]).toBeNull();
    expect(m2020[11]).toBeCloseTo((121 / 99 - 1) * 100);
    expect(r.years.get(2020)).toBeCloseTo(21);
    expect(r.years.get(2021)).toBeCloseTo(10);
    expect(r.months.get(2021)![0]).toBeCloseTo(10);
  });
});

describe("drawdown episodes", () => {
  it("finds peak, trough, recovery, depth and durations, deepest first", () => {
    const d = topDrawdowns(s([["2020-01-01", 100], ["2020-01-11", 80], ["2020-01-21", 100], ["2020-02-01", 120], ["2020-02-11", 108], ["2020-03-01", 125], ["2020-04-01", 100]]));
    expect(d.map((x) => Math.round(x.depthPct))).toEqual([-20, -20, -10]);
    expect(d[0]).toMatchObject({ peak: "2020-01-01T00:00:00.000Z", trough: "2020-01-11T00:00:00.000Z", recovery: "2020-01-21T00:00:00.000Z", days: 20, recoveryDays: 10 });
    expect(d[1]).toMatchObject({ peak: "2020-03-01T00:00:00.000Z", recovery: null, recoveryDays: null, days: 31 });
  });
});

import { cumulativePnl, directionSplit, rollingSharpe } from "@/lib/returns";

describe("rolling Sharpe, long/short split, cumulative P&L", () => {
  it("is null until the window fills, then mean/sd * sqrt(periods)", () => {
    const vals = [100, 101, 100, 102, 101, 103];
    const r = rollingSharpe({ timestamps: vals.map((_, i) => `2020-01-0${i + 1}T00:00:00Z`), values: vals }, 3, 252);
    expect(r.values.slice(0, 2)).toEqual([null, null]);
    const x = [100 / 101 - 1, 102 / 100 - 1, 101 / 102 - 1];
    const m = x.reduce((a, b) => a + b) / 3;
    const sd = Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / 2);
    expect(r.values[3]).toBeCloseTo((m / sd) * Math.sqrt(252), 6);
  });
  it("splits trades by side and sums P&L at each exit", () => {
    const t = [
      { direction: "long", return_pct: 5, pnl: 50, exit_time: "2020-02-01T00:00:00Z" },
      { direction: "long", return_pct: -2, pnl: -20, exit_time: "2020-01-01T00:00:00Z" },
      { direction: "short", return_pct: 3, pnl: 30, exit_time: "2020-03-01T00:00:00Z" },
      { direction: "short", return_pct: 1, pnl: 10, is_open: true, exit_time: null },
    ];
    expect(directionSplit(t)).toEqual([
      { side: "long", trades: 2, open: 0, winRatePct: 50, avgReturnPct: 1.5, pnl: 30 },
      { side: "short", trades: 1, open: 1, winRatePct: 100, avgReturnPct: 3, pnl: 30 },
    ]);
    expect(cumulativePnl(t).values).toEqual([-20, 30, 60]);
    expect(cumulativePnl([...t, { direction: "long", return_pct: 1, pnl: 5, exit_time: "2020-03-01T00:00:00Z" }]).values).toEqual([-20, 30, 65]);
  });
});
