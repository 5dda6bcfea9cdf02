import * as React from "react";
import type { SummaryStats } from "@/lib/api/types";
import { fmtDate, fmtMoney, fmtNum, fmtPct, toneOf } from "@/lib/format";
import { cn } from "@/lib/utils";

type Metric = { key: keyof SummaryStats; label: string; fmt: (s: SummaryStats) => string; tone?: (s: SummaryStats) => number | null; hint?: string };

export const METRICS: Metric[] = [
  { key: "total_return_pct", label: "Total return", fmt: (s) => fmtPct(s.total_return_pct), tone: (s) => s.total_return_pct },
  { key: "cagr_pct", label: "CAGR", fmt: (s) => fmtPct(s.cagr_pct), tone: (s) => s.cagr_pct, hint: "Compound annual growth rate" },
  { key: "benchmark_return_pct", label: "Benchmark return", fmt: (s) => fmtPct(s.benchmark_return_pct), tone: (s) => s.benchmark_return_pct },
  { key: "max_drawdown_pct", label: "Max drawdown", fmt: (s) => fmtPct(-Math.abs(s.max_drawdown_pct), 2, false), tone: (s) => -Math.abs(s.max_drawdown_pct) },
  { key: "sharpe_ratio", label: "Sharpe", fmt: (s) => fmtNum(s.sharpe_ratio) },
  { key: "sortino_ratio", label: "Sortino", fmt: (s) => fmtNum(s.sortino_ratio) },
  { key: "calmar_ratio", label: "Calmar", fmt: (s) => fmtNum(s.calmar_ratio) },
  { key: "volatility_annual_pct", label: "Volatility (ann.)", fmt: (s) => fmtPct(s.volatility_annual_pct, 2, false) },
  { key: "win_rate_pct", label: "Win rate", fmt: (s) => fmtPct(s.win_rate_pct, 1, false) },
  { key: "profit_factor", label: "Profit factor", fmt: (s) => fmtNum(s.profit_factor) },
  { key: "trade_count", label: "Trades", fmt: (s) => fmtNum(s.trade_count, 0) },
  { key: "expectancy_pct", label: "Expectancy / trade", fmt: (s) => (s.expectancy_pct != null ? fmtPct(s.expectancy_pct) : fmtMoney(s.expectancy)), tone: (s) => s.expectancy_pct ?? s.expectancy },
  { key: "avg_win_pct", label: "Avg win", fmt: (s) => fmtPct(s.avg_win_pct), tone: (s) => s.avg_win_pct },
  { key: "avg_loss_pct", label: "Avg loss", fmt: (s) => fmtPct(s.avg_loss_pct), tone: (s) => s.avg_loss_pct },
  { key: "exposure_pct", label: "Exposure", fmt: (s) => fmtPct(s.exposure_pct, 1, false), hint: "Share of bars with an open position" },
  { key: "alpha_annual_pct", label: "Alpha (ann.)", fmt: (s) => fmtPct(s.alpha_annual_pct), tone: (s) => s.alpha_annual_pct },
  { key: "beta", label: "Beta", fmt: (s) => fmtNum(s.beta) },
  { key: "trade_p_value", label: "Trade p-value", fmt: (s) => fmtNum(s.trade_p_value, 3), hint: "One-sided t-test that the mean trade return > 0" },
  { key: "total_fees", label: "Fees paid", fmt: (s) => fmtMoney(s.total_fees) },
  { key: "final_equity", label: "Final equity", fmt: (s) => fmtMoney(s.final_equity) },
];

const HEADLINE: (keyof SummaryStats)[] = ["total_return_pct", "cagr_pct", "sharpe_ratio", "max_drawdown_pct"];

export function MetricsPanel({ stats }: { stats: SummaryStats }) {
  return (
    <section aria-labelledby="metrics-heading" className="grid gap-3">
      <h2 id="metrics-heading" className="sr-only">
        Metrics
      </h2>
      <div className="grid grid-cols-2 gap-2 sm:grid-cols-4" data-testid="headline-metrics">
        {METRICS.filter((m) => HEADLINE.includes(m.key)).map((m) => {
          const tone = m.tone ? toneOf(m.tone(stats)) : "flat";
          return (
            <div key={m.key} className="rounded-xl border bg-card p-3">
              <p className="text-xs text-muted-foreground" title={m.key === "cagr_pct" ? (stats.cagr_null_reason ?? m.hint) : m.hint}>
                {m.label}
              </p>
              <p className={cn("tabular mt-1 text-xl font-semibold sm:text-2xl", tone === "pos" && "text-success", tone === "neg" && "text-destructive")}>
                {m.fmt(stats)}
              </p>
            </div>
          );
        })}
      </div>
      <dl className="grid grid-cols-2 gap-x-4 gap-y-1 rounded-xl border bg-card p-3 text-sm sm:grid-cols-3 lg:grid-cols-4" data-testid="metrics-panel">
        {METRICS.filter((m) => !HEADLINE.includes(m.key)).map((m) => {
          const tone = m.tone ? toneOf(m.tone(stats)) : "flat";
          return (
            <div key={m.key} className="flex items-baseline justify-between gap-2 border-b border-dashed py-1 last:border-0">
              <dt className="text-muted-foreground" title={m.hint}>
                {m.label}
              </dt>
              <dd className={cn("tabular font-medium", tone === "pos" && "text-success", tone === "neg" && "text-destructive")}>{m.fmt(stats)}</dd>
            </div>
          );
        })}
        <div className="flex items-baseline justify-between gap-2 py-1">
          <dt className="text-muted-foreground">Period</dt>
          <dd className="tabular font-medium">
            {fmtDate(stats.start)} → {fmtDate(stats.end)}
          </dd>
        </div>
      </dl>
    </section>
  );
}
