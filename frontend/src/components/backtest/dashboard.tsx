"use client";
import * as React from "react";
import { useQuery } from "@tanstack/react-query";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { LinesChart, PriceChart, type LineDef } from "@/components/charts";
import { MarkerLegend } from "@/components/charts/marker-legend";
import { MetricsPanel } from "@/components/backtest/metrics-panel";
import { GateReport } from "@/components/backtest/gate-report";
import { RobustnessReport } from "@/components/backtest/robustness-report";
import { TradeLog } from "@/components/backtest/trade-log";
import { ExportButtons } from "@/components/backtest/export-buttons";
import { ProblemAlert } from "@/components/problem";
import { Skeleton } from "@/components/ui/progress";
import { market } from "@/lib/api/endpoints";
import type { BacktestResult, Series, StrategySpec, Trade, WalkForwardConfig } from "@/lib/api/types";
import { fmtDate } from "@/lib/format";
import dynamic from "next/dynamic";
import { FlaskConical } from "lucide-react";
import { Button } from "@/components/ui/button";
import { WalkForwardReportView } from "@/components/backtest/walk-forward-report";
import { DirectionSplit, MonthlyReturns, TopDrawdowns } from "@/components/backtest/returns-panel";
import { cumulativePnl, rollingSharpe } from "@/lib/returns";

// loaded when someone opens it: keeps the dashboard's first-load JavaScript small
const WalkForwardForm = dynamic(() => import("@/components/backtest/walk-forward-form").then((m) => m.WalkForwardForm), {
  ssr: false,
  loading: () => <Skeleton className="h-40 w-full" />,
});

export interface WalkForwardStarter {
  spec: StrategySpec;
  busy?: boolean;
  open?: boolean;
  onSubmit: (wf: WalkForwardConfig) => void;
}

/** Percent change from the first defined value: comparable across runs and capitals. */
export function cumulativeReturn(s: Series): Series {
  const first = s.values.find((v) => v !== null && v !== 0) ?? null;
  return { timestamps: s.timestamps, values: s.values.map((v) => (v === null || first === null ? null : (v / first - 1) * 100)) };
}

/** The benchmark rebased to the strategy's starting equity, so both start at the same point. */
export function rebase(bench: Series, start: number): Series {
  const first = bench.values.find((v) => v !== null && v !== 0) ?? null;
  if (first === null) return bench;
  return { timestamps: bench.timestamps, values: bench.values.map((v) => (v === null ? null : (v / first) * start)) };
}

function symbolOf(result: BacktestResult): string | null {
  return result.trades[0]?.symbol ?? Object.keys(result.provenance.data_sources ?? {})[0] ?? null;
}

export function BacktestDashboard({ result, name, walkForward }: { result: BacktestResult; name: string; walkForward?: WalkForwardStarter }) {
  const s = result.summary_stats;
  const [wfOpen, setWfOpen] = React.useState(!!walkForward?.open);
  const wfRef = React.useRef<HTMLDivElement>(null);
  const wantOpen = !!walkForward?.open;
  React.useEffect(() => {
    // opened from a link (?wf=1): the strategy loads after the run, so open once it is here
    if (wantOpen) {
      setWfOpen(true);
      requestAnimationFrame(() => wfRef.current?.scrollIntoView({ block: "start" }));
    }
  }, [wantOpen]);
  const oosGate = result.gates?.find((g) => g.name === "out_of_sample");
  const [focus, setFocus] = React.useState<{ from: string; to: string; label: string } | null>(null);
  const [logScale, setLogScale] = React.useState(false);
  const priceRef = React.useRef<HTMLDivElement>(null);
  const showTrade = (t: Trade) => {
    setFocus({ from: t.entry_time, to: t.exit_time ?? s.end, label: `${t.direction} trade from ${fmtDate(t.entry_time)} to ${t.exit_time ? fmtDate(t.exit_time) : "the end"}` });
    requestAnimationFrame(() => priceRef.current?.scrollIntoView({ behavior: "smooth", block: "start" }));
  };
  const openWalkForward = () => {
    setWfOpen(true);
    requestAnimationFrame(() => wfRef.current?.scrollIntoView({ behavior: "smooth", block: "start" }));
  };
  const symbol = symbolOf(result);
  const equityLines = React.useMemo<LineDef[]>(() => {
    const l: LineDef[] = [{ name: "Strategy equity", series: result.equity_curve, kind: "area" }];
    if (result.benchmark_curve) l.push({ name: "Benchmark (buy & hold)", series: rebase(result.benchmark_curve, s.initial_capital), dashed: true, color: "#8a8f9c" });
    return l;
  }, [result, s.initial_capital]);
  const returnLines = React.useMemo<LineDef[]>(() => {
    const l: LineDef[] = [{ name: "Strategy return", series: cumulativeReturn(result.equity_curve), percent: true }];
    if (result.benchmark_curve) l.push({ name: "Benchmark return", series: cumulativeReturn(result.benchmark_curve), percent: true, dashed: true, color: "#8a8f9c" });
    return l;
  }, [result]);
  const sharpeLines = React.useMemo<LineDef[]>(() => [{ name: "Rolling Sharpe, 126 bars (about 6 months)", series: rollingSharpe(result.equity_curve, 126, s.periods_per_year || 252) }], [result, s.periods_per_year]);
  const pnlLines = React.useMemo<LineDef[]>(() => [{ name: "Cumulative P&L of closed trades", series: cumulativePnl(result.trades), kind: "area" }], [result]);
  const ddLines = React.useMemo<LineDef[]>(() => [{ name: "Drawdown", series: result.drawdown_curve, kind: "area", percent: true, color: "#c0392b" }], [result]);

  const prices = useQuery({
    queryKey: ["market", symbol, "1d", s.start, s.end],
    queryFn: () => market.data(symbol!, "1d", s.start.slice(0, 10), s.end.slice(0, 10)),
    enabled: !!symbol,
    staleTime: Infinity,
  });

  return (
    <div className="grid grid-cols-[minmax(0,1fr)] gap-4" data-testid="dashboard">
      {result.warnings?.length ? (
        <div role="note" aria-label="Backtest warnings" className="rounded-lg border border-warning/40 bg-warning/10 p-3 text-sm">
          <ul className="list-disc pl-5">
            {result.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <MetricsPanel stats={s} />
      <div className="grid grid-cols-[minmax(0,1fr)] gap-4 lg:grid-cols-3">
        <Card className="lg:col-span-2">
          <CardHeader className="pb-2">
            <CardTitle>Performance</CardTitle>
          </CardHeader>
          <CardContent>
            <Tabs defaultValue="equity">
              <TabsList aria-label="Performance charts">
                <TabsTrigger value="equity">Equity vs benchmark</TabsTrigger>
                <TabsTrigger value="return">Cumulative return</TabsTrigger>
                <TabsTrigger value="sharpe">Rolling Sharpe</TabsTrigger>
              </TabsList>
              <TabsContent value="equity" data-testid="equity-chart">
                <LinesChart lines={equityLines} height={280} label={`Equity curve from ${s.initial_capital} to ${s.final_equity.toFixed(2)}, against the benchmark`} />
              </TabsContent>
              <TabsContent value="sharpe" data-testid="rolling-sharpe">
                <LinesChart lines={sharpeLines} height={280} label="Sharpe ratio over the trailing 126 bars, annualised" />
              </TabsContent>
              <TabsContent value="return">
                <LinesChart lines={returnLines} height={280} label={`Cumulative return: strategy ${s.total_return_pct.toFixed(2)}%, benchmark ${s.benchmark_return_pct?.toFixed(2) ?? "n/a"}%`} />
              </TabsContent>
            </Tabs>
            <h3 className="mb-1 mt-4 text-sm font-medium">Drawdown</h3>
            <LinesChart lines={ddLines} height={150} label={`Drawdown curve; deepest ${s.max_drawdown_pct.toFixed(2)}%`} />
          </CardContent>
        </Card>
        <Card>
          <CardContent className="pt-4 sm:pt-5">
            <GateReport gates={result.gates ?? []} />
            {walkForward && oosGate && oosGate.value === null ? (
              <div className="mt-3 grid gap-2 rounded-lg border border-dashed p-3 text-sm">
                <p>“Out of sample” needs a walk-forward run: it re-optimises the parameters on past data and trades the next, unseen period.</p>
                <Button size="sm" variant="outline" className="justify-self-start" onClick={openWalkForward} data-testid="open-walk-forward">
                  <FlaskConical /> Set up walk-forward
                </Button>
              </div>
            ) : null}
            <div className="mt-4">
              <RobustnessReport robustness={result.robustness} />
            </div>
          </CardContent>
        </Card>
      </div>
      <div className="grid grid-cols-[minmax(0,1fr)] gap-4 2xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <Card className="min-w-0">
          <CardContent className="pt-4 sm:pt-5">
            <MonthlyReturns equity={result.equity_curve} />
          </CardContent>
        </Card>
        <Card className="min-w-0">
          <CardContent className="pt-4 sm:pt-5">
            <TopDrawdowns equity={result.equity_curve} />
          </CardContent>
        </Card>
      </div>
      {result.trades.some((t) => !t.is_open) ? (
        <div className="grid grid-cols-[minmax(0,1fr)] gap-4 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
          <Card className="min-w-0">
            <CardContent className="pt-4 sm:pt-5">
              <h2 className="mb-2 font-semibold">Cumulative P&amp;L per trade</h2>
              <div data-testid="cumulative-pnl">
                <LinesChart lines={pnlLines} height={220} label={`Running total of closed trades' P&L over ${result.trades.length} trades`} />
              </div>
            </CardContent>
          </Card>
          <Card className="min-w-0">
            <CardContent className="pt-4 sm:pt-5">
              <DirectionSplit trades={result.trades} />
            </CardContent>
          </Card>
        </div>
      ) : null}
      {result.walk_forward ? (
        <Card>
          <CardContent className="pt-4 sm:pt-5">
            <WalkForwardReportView report={result.walk_forward} />
          </CardContent>
        </Card>
      ) : null}
      {walkForward ? (
        <Card ref={wfRef} id="walk-forward" className="scroll-mt-20">
          <CardHeader className="flex-row flex-wrap items-center justify-between gap-2 pb-2">
            <CardTitle>{result.walk_forward ? "Run another walk-forward" : "Walk-forward validation"}</CardTitle>
            {!wfOpen ? (
              <Button size="sm" variant="outline" onClick={() => setWfOpen(true)} data-testid="show-walk-forward">
                <FlaskConical /> Set up
              </Button>
            ) : null}
          </CardHeader>
          <CardContent>
            {wfOpen ? (
              <WalkForwardForm spec={walkForward.spec} bars={s.bars} busy={walkForward.busy} onSubmit={walkForward.onSubmit} />
            ) : (
              <p className="text-sm text-muted-foreground">Check that the strategy holds up on data its parameters were not tuned on.</p>
            )}
          </CardContent>
        </Card>
      ) : null}
      <Card ref={priceRef} className="scroll-mt-20">
        <CardHeader className="flex-row flex-wrap items-center justify-between gap-2 pb-2">
          <CardTitle>{symbol ? `${symbol} with trades` : "Price with trades"}</CardTitle>
          <div className="flex flex-wrap items-center gap-3 text-sm">
            {focus ? (
              <span className="inline-flex items-center gap-2" data-testid="chart-focus">
                <span className="text-muted-foreground">Showing the {focus.label}</span>
                <Button size="sm" variant="outline" onClick={() => setFocus(null)}>
                  Show all
                </Button>
              </span>
            ) : null}
            <label className="inline-flex cursor-pointer items-center gap-1.5">
              <input type="checkbox" className="size-4 accent-[var(--primary)]" checked={logScale} onChange={(e) => setLogScale(e.target.checked)} data-testid="log-scale" />
              Log scale
            </label>
          </div>
        </CardHeader>
        <CardContent>
          {prices.isPending && symbol ? <Skeleton className="h-96 w-full" /> : null}
          {prices.isError ? <ProblemAlert error={prices.error} title="Could not load prices for the trade chart" onRetry={() => void prices.refetch()} /> : null}
          {prices.data ? (
            <>
              <PriceChart frame={prices.data} trades={result.trades} height={380} focus={focus} logScale={logScale} label={`${symbol} daily candles with ${result.trades.length} trades marked${focus ? `, zoomed to the ${focus.label}` : ""}`} />
              <MarkerLegend trades={result.trades} />
            </>
          ) : null}
          {!symbol ? <p className="text-sm text-muted-foreground">No symbol to chart: the run made no trades.</p> : null}
        </CardContent>
      </Card>
      <Card>
        <CardHeader className="flex-row flex-wrap items-center justify-between gap-2 pb-2">
          <CardTitle>Trades ({result.trades.length})</CardTitle>
          <ExportButtons result={result} name={name} />
        </CardHeader>
        <CardContent>
          <TradeLog trades={result.trades} onShow={symbol ? showTrade : undefined} />
        </CardContent>
      </Card>
      <details className="rounded-xl border bg-card p-4 text-sm">
        <summary className="cursor-pointer font-medium">Provenance (reproduce this result)</summary>
        <dl className="mt-2 grid gap-1 font-mono text-xs">
          {(["run_hash", "spec_hash", "data_hash", "engine_version"] as const).map((k) => (
            <div key={k} className="flex flex-wrap gap-2">
              <dt className="text-muted-foreground">{k}</dt>
              <dd className="break-all">{result.provenance[k]}</dd>
            </div>
          ))}
          {Object.entries(result.provenance.conventions ?? {}).map(([k, v]) => (
            <div key={k} className="flex flex-wrap gap-2">
              <dt className="text-muted-foreground">{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      </details>
    </div>
  );
}
