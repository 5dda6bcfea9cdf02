"use client";
import * as React from "react";
import { PriceChart } from "@/components/charts";
import type { Trade } from "@/lib/api/types";

/** Performance harness: 10 years of daily candles (2,520) with 200 trades (400 markers). */
function synth() {
  const n = 2520;
  const ts: string[] = [];
  const o: number[] = [];
  const h: number[] = [];
  const l: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  let price = 100;
  let seed = 42;
  const rnd = () => ((seed = (seed * 1664525 + 1013904223) % 4294967296) / 4294967296);
  const day = 86400_000;
  let t = Date.UTC(2014, 0, 1);
  for (let i = 0; i < n; i++) {
    const open = price;
    const close = Math.max(1, open * (1 + (rnd() - 0.49) * 0.04));
    ts.push(new Date(t).toISOString());
    o.push(open);
    c.push(close);
    h.push(Math.max(open, close) * (1 + rnd() * 0.01));
    l.push(Math.min(open, close) * (1 - rnd() * 0.01));
    v.push(1e6 * (0.5 + rnd()));
    price = close;
    t += day;
  }
  const reasons = ["signal", "stop_loss", "take_profit", "trailing_stop", "max_holding"] as const;
  const trades: Trade[] = [];
  for (let k = 0; k < 200; k++) {
    const i = k * 12 + 2;
    const j = i + 8;
    trades.push({
      symbol: "BENCH",
      direction: k % 5 === 0 ? "short" : "long",
      entry_time: ts[i],
      entry_price: o[i],
      exit_time: ts[j],
      exit_price: o[j],
      exit_reason: reasons[k % reasons.length],
      size: 10,
      pnl: (o[j] - o[i]) * 10,
      return_pct: (o[j] / o[i] - 1) * 100,
      fees: 1,
      duration_bars: 8,
    });
  }
  return { frame: { timestamps: ts, open: o, high: h, low: l, close: c, volume: v }, trades };
}

export default function ChartBench() {
  const data = React.useMemo(synth, []);
  const [ms, setMs] = React.useState<number | null>(null);
  const [syncMs, setSyncMs] = React.useState<number | null>(null);
  const [round, setRound] = React.useState(0);
  React.useEffect(() => {
    document.title = "Chart benchmark · VibeTrading";
  }, []);
  return (
    <main id="main" className="mx-auto max-w-6xl p-4">
      <h1 className="mb-2 text-lg font-semibold">Chart benchmark: 2,520 daily candles, 200 trades</h1>
      <p className="mb-2 text-sm" data-testid="render-ms">
        {ms === null ? "rendering…" : `rendered in ${ms.toFixed(1)} ms (series + markers built in ${syncMs?.toFixed(1)} ms, then first paint)`}
      </p>
      <button
        type="button"
        className="mb-2 rounded-md border px-3 py-1 text-sm"
        onClick={() => {
          setMs(null);
          Object.assign(window, { __chartRenderMs: undefined });
          setRound((r) => r + 1);
        }}
      >
        Render again
      </button>
      <PriceChart
        key={round}
        frame={data.frame}
        trades={data.trades}
        height={480}
        label="Synthetic 10-year daily chart with 200 trades"
        onRendered={(m, sync) => {
          setMs(m);
          setSyncMs(sync);
          Object.assign(window, { __chartRenderMs: m, __chartSyncMs: sync });
        }}
      />
    </main>
  );
}
