import { describe, expect, it } from "vitest";
import { seqIndex, snapshotSeqOf, todaysPnl, totalPnl, type PnL } from "@/lib/api/trading";
import { parseTradingFrame, pollFor, riskMessage } from "@/lib/trading-live";
import { buildTrails } from "@/components/trading/order-timeline";
import { groupPositions, expectation } from "@/components/trading/positions";
import { lastSignal, nextRun } from "@/components/trading/deployment-card";
import { deployment, fill, order, SHORT, target } from "./trading-fixtures";

const pnl = (points: [string, number][]): PnL => ({
  deployment_id: "d", capital: "10000", equity: String(points[points.length - 1][1]), realized_pnl: "0", unrealized_pnl: "0", fees: "0", total_return_pct: 0,
  curve: points.map(([ts, equity]) => ({ ts, equity, realized_pnl: 0, unrealized_pnl: 0, fees: 0 })),
});

describe("trading helpers", () => {
  it("reads the snapshot sequence from our client order ids only", () => {
    expect(snapshotSeqOf(`p${SHORT}-12-1`)).toBe(12);
    expect(snapshotSeqOf(`l${SHORT}-3-0`)).toBe(3);
    expect(snapshotSeqOf("manual-123")).toBeNull();
  });

  it("numbers targets 1.. by creation, whatever order the page came in", () => {
    const m = seqIndex([target(3), target(1), target(2)]);
    expect([m.get(1)?.id, m.get(2)?.id, m.get(3)?.id]).toEqual(["t1", "t2", "t3"]);
  });

  it("today's P&L is the last point minus the last point of an earlier day; total is equity minus capital", () => {
    const p = pnl([["2005-01-03T05:00:00Z", 10000], ["2005-01-04T05:00:00Z", 10100], ["2005-01-05T05:00:00Z", 10050]]);
    expect(todaysPnl(p)).toBe(-50);
    expect(totalPnl(p)).toBe(50);
    expect(todaysPnl(pnl([["2005-01-03T05:00:00Z", 10020]]))).toBe(20); // first day: against the capital
    expect(todaysPnl(undefined)).toBeNull();
  });

  it("links each order to its target and fills (signal → target → risk → order → fills)", () => {
    const trails = buildTrails([order(), order({ id: "o2", client_order_id: "manual-x", created_at: "2026-12-05T12:07:00Z" })], [target(1), target(2), target(3)], [fill()]);
    expect(trails[0].order.id).toBe("o2"); // newest first
    expect(trails[0].target).toBeNull();
    expect(trails[1].target?.id).toBe("t2");
    expect(trails[1].fills).toHaveLength(1);
  });

  it("groups account positions by deployment with the unattributed bucket last", () => {
    const base = { account_id: "a", attributed: true, avg_price: "1", last_price: "1", market_value: "1", multiplier: "1", qty: "1", realized_pnl: "0", symbol: "X", unrealized_pnl: "0" };
    const g = groupPositions([{ ...base, deployment_id: null, attributed: false }, { ...base, deployment_id: "b" }, { ...base, deployment_id: "a", symbol: "Y" }]);
    expect(g.map((x) => x.key)).toEqual(["a", "b", "unattributed"]);
  });

  it("rescales the backtest's equity to the deployment's capital over the deployment's period", () => {
    const bt = { timestamps: ["2004-12-31T05:00:00Z", "2005-01-03T05:00:00Z", "2005-01-04T05:00:00Z", "2005-01-05T05:00:00Z"], values: [50, 100, 110, 120] };
    const e = expectation(bt, pnl([["2005-01-03T05:00:00Z", 10000], ["2005-01-04T05:00:00Z", 10100]]));
    expect(e?.values).toEqual([10000, 11000]);
  });

  it("says what comes next and the last signal in words", () => {
    expect(nextRun(deployment())).toMatch(/next replay bar/);
    expect(nextRun(deployment({ status: "stopped" }))).toBe("—");
    expect(nextRun(deployment({ replay: null }))).toMatch(/after the 1d bar closing/);
    expect(lastSignal(target(2))).toBe("entry · bar 2005-01-04");
    expect(lastSignal(undefined)).toBe("none yet");
  });

  it("parses trading frames off the shared socket and ignores backtest frames", () => {
    expect(parseTradingFrame(JSON.stringify({ type: "backtest", id: "r", status: "running" }))).toBeNull();
    expect(parseTradingFrame("not json")).toBeNull();
    expect(parseTradingFrame(JSON.stringify({ type: "fill", environment: "paper", data: {} }))?.type).toBe("fill");
  });

  it("toasts kills, trips, halts and re-arms, not session rolls", () => {
    expect(riskMessage({ type: "risk", environment: "live", data: { state: "killed", reason: "manual" } })).toBe("LIVE account killed: manual");
    expect(riskMessage({ type: "risk", environment: "paper", data: { state: "active" } })).toBe("Paper account re-armed");
    expect(riskMessage({ type: "risk", environment: "paper", data: { kind: "tripped_drawdown", reason: "-16%" } })).toBe("Paper drawdown breaker tripped: -16%");
    expect(riskMessage({ type: "risk", environment: "paper", data: { kind: "session_rolled" } })).toBeNull();
    expect(riskMessage({ type: "risk", environment: "paper", data: { kind: "overrides" } })).toBeNull();
    expect(pollFor("live")).toBeGreaterThan(pollFor("offline"));
  });
});
