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
