"use client";
import * as React from "react";
import { LinesChart, type LineDef } from "@/components/charts";
import { METRICS } from "@/components/backtest/metrics-panel";
import { cumulativeReturn } from "@/components/backtest/dashboard";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import type { BacktestRun, SummaryStats } from "@/lib/api/types";
import { cn } from "@/lib/utils";

/** Which direction is better for a metric (for highlighting the best run). */
const BETTER: Partial<Record<keyof SummaryStats, "high" | "low">> = {
  total_return_pct: "high",
  cagr_pct: "high",
  sharpe_ratio: "high",
  sortino_ratio: "high",
  calmar_ratio: "high",
  max_drawdown_pct: "low",
  volatility_annual_pct: "low",
  win_rate_pct: "high",
  profit_factor: "high",
  expectancy_pct: "high",
  alpha_annual_pct: "high",
  total_fees: "low",
  final_equity: "high",
  trade_p_value: "low",
};

export function CompareView({ runs, labels }: { runs: BacktestRun[]; labels: string[] }) {
  const ok = runs.filter((r) => r.result);
  const lines = React.useMemo<LineDef[]>(
    () => ok.map((r, i) => ({ name: labels[runs.indexOf(r)] ?? `Run ${i + 1}`, series: cumulativeReturn(r.result!.equity_curve), percent: true })),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [runs, labels],
  );
  return (
    <div className="grid grid-cols-[minmax(0,1fr)] gap-4">
      <div className="rounded-xl border bg-card p-4">
        <h2 className="mb-2 font-semibold">Cumulative return</h2>
        <LinesChart lines={lines} height={300} label={`Cumulative return of ${ok.length} runs overlaid`} />
      </div>
      <div className="rounded-xl border bg-card">
        <Table caption="Metrics side by side; the best value per row is marked" data-testid="compare-table">
          <THead>
            <TR>
              <TH scope="col" className="sticky left-0 z-10 bg-card">Metric</TH>
              {runs.map((r, i) => (
                <TH key={r.id} scope="col" className="min-w-28 whitespace-normal text-right align-bottom">
                  {labels[i]}
                </TH>
              ))}
            </TR>
          </THead>
          <TBody>
            {METRICS.map((m) => {
              const vals = runs.map((r) => (r.result ? (r.result.summary_stats[m.key] as number | null) : null));
              const better = BETTER[m.key];
              const nums = vals.filter((v): v is number => typeof v === "number");
              const best = better && nums.length > 1 ? (better === "high" ? Math.max(...nums) : Math.min(...nums.map(Math.abs))) : null;
              return (
                <TR key={m.key}>
                  <TH scope="row" className="sticky left-0 z-10 bg-card font-medium text-foreground">
                    {m.label}
                  </TH>
                  {runs.map((r, i) => {
                    const v = vals[i];
                    const isBest = best !== null && typeof v === "number" && (m.key === "max_drawdown_pct" ? Math.abs(v) === best : v === best);
                    return (
                      <TD key={r.id} className={cn("text-right", isBest && "font-semibold text-success")}>
                        {r.result ? m.fmt(r.result.summary_stats) : "—"}
                        {isBest ? <span className="sr-only"> (best)</span> : null}
                      </TD>
                    );
                  })}
                </TR>
              );
            })}
          </TBody>
        </Table>
      </div>
    </div>
  );
}
