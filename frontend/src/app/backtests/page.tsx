"use client";
import * as React from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useInfiniteQuery } from "@tanstack/react-query";
import { GitCompare } from "lucide-react";
import { AppShell, PageHeader } from "@/components/layout/app-shell";
import { EmptyState, ProblemAlert } from "@/components/problem";
import { Badge } from "@/components/ui/badge";
import { Button, buttonClass } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/progress";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { backtests } from "@/lib/api/endpoints";
import type { BacktestRunSummary, SummaryStats } from "@/lib/api/types";
import { strategies } from "@/lib/api/endpoints";
import { useQuery } from "@tanstack/react-query";
import { fmtDateTime, fmtNum, fmtPct } from "@/lib/format";

const STATUS_VARIANT = { queued: "secondary", running: "default", succeeded: "success", failed: "destructive", cancelled: "warning" } as const;

/** The list API sends each succeeded run's headline stats as `summary`. */
function statsOf(r: BacktestRunSummary): Partial<SummaryStats> | null {
  return (r.summary as Partial<SummaryStats> | null | undefined) ?? null;
}
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function List() {
  const router = useRouter();
  const [selected, setSelected] = React.useState<string[]>([]);
  const q = useInfiniteQuery({
    queryKey: ["backtests"],
    queryFn: ({ pageParam }) => backtests.list(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (p) => p.next_cursor,
  });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  const strats = useQuery({ queryKey: ["strategies", "names"], queryFn: () => strategies.list() });
  const nameOf = (id: string | null | undefined) => (id ? strats.data?.items.find((s) => s.id === id)?.name : null) ?? null;
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : s.length >= 4 ? s : [...s, id]));
  const canCompare = selected.length >= 2 && selected.length <= 4;
  return (
    <>
      <PageHeader
        title="Backtests"
        description="Tick 2 to 4 finished runs to compare them side by side."
        actions={
          <Button disabled={!canCompare} onClick={() => router.push(`/backtests/compare/?ids=${selected.map(encodeURIComponent).join(",")}`)} data-testid="compare-button">
            <GitCompare /> Compare {selected.length ? `(${selected.length})` : ""}
          </Button>
        }
      />
      {q.isPending ? <Skeleton className="h-64 w-full" /> : null}
      {q.isError ? <ProblemAlert error={q.error} /> : null}
      {q.data && items.length === 0 ? (
        <EmptyState title="No backtests yet" action={<Link className={buttonClass()} href="/chat/">Chat a strategy</Link>}>
          Describe a strategy in the chat, then press “Run backtest”.
        </EmptyState>
      ) : null}
      {items.length ? (
        <div className="rounded-xl border bg-card">
          <Table caption="Your backtests" data-testid="backtest-list">
            <THead>
              <TR>
                <TH scope="col" className="w-10">
                  <span className="sr-only">Select</span>
                </TH>
                <TH scope="col">Strategy</TH>
                <TH scope="col" className="hidden sm:table-cell">Started</TH>
                <TH scope="col" className="hidden md:table-cell">Status</TH>
                <TH scope="col" className="hidden text-right md:table-cell">Return</TH>
                <TH scope="col" className="hidden text-right md:table-cell">Sharpe</TH>
                <TH scope="col" className="hidden text-right md:table-cell">Max DD</TH>
                <TH scope="col" className="hidden text-right md:table-cell">Trades</TH>
                <TH scope="col">
                  <span className="sr-only">Open</span>
                </TH>
              </TR>
            </THead>
            <TBody>
              {items.map((r) => {
                const s = statsOf(r);
                const done = r.status === "succeeded";
                return (
                  <TR key={r.id} data-testid="backtest-row">
                    <TD>
                      <input
                        type="checkbox"
                        className="size-4 cursor-pointer accent-[var(--primary)]"
                        aria-label={`Select run ${r.id.slice(0, 8)} from ${fmtDateTime(str(r.created_at))} for comparison`}
                        checked={selected.includes(r.id)}
                        disabled={!done || (!selected.includes(r.id) && selected.length >= 4)}
                        onChange={() => toggle(r.id)}
                      />
                    </TD>
                    <TD className="whitespace-normal md:max-w-56 md:truncate md:whitespace-nowrap">
                      {str(r.name) ?? nameOf(r.strategy_id) ?? (r.strategy_id ? "Strategy" : "Ad-hoc spec")}
                      {typeof r.strategy_version === "number" ? <span className="ml-1 text-xs text-muted-foreground">v{r.strategy_version}</span> : null}
                      {/* phones: the figures under the name instead of columns off to the right */}
                      <span className="mt-0.5 flex flex-wrap items-center gap-x-2 gap-y-0.5 text-xs text-muted-foreground md:hidden" data-testid="run-stats-compact">
                        <Badge variant={STATUS_VARIANT[r.status]}>{r.status}</Badge>
                        {s ? (
                          <>
                            <span>
                              Return <span className="font-medium text-foreground">{fmtPct(s.total_return_pct)}</span>
                            </span>
                            <span>
                              Sharpe <span className="font-medium text-foreground">{fmtNum(s.sharpe_ratio)}</span>
                            </span>
                            <span>
                              DD <span className="font-medium text-foreground">{s.max_drawdown_pct != null ? fmtPct(-Math.abs(s.max_drawdown_pct), 2, false) : "—"}</span>
                            </span>
                            <span>
                              Trades <span className="font-medium text-foreground">{s.trade_count ?? "—"}</span>
                            </span>
                          </>
                        ) : null}
                      </span>
                    </TD>
                    <TD className="hidden sm:table-cell">{fmtDateTime(str(r.created_at))}</TD>
                    <TD className="hidden md:table-cell">
                      <Badge variant={STATUS_VARIANT[r.status]}>
                        {r.status}
                        {r.status === "running" && typeof r.progress === "number" ? ` ${Math.round(r.progress * 100)}%` : ""}
                      </Badge>
                    </TD>
                    <TD className="hidden text-right md:table-cell">{fmtPct(s?.total_return_pct)}</TD>
                    <TD className="hidden text-right md:table-cell">{fmtNum(s?.sharpe_ratio)}</TD>
                    <TD className="hidden text-right md:table-cell">{s?.max_drawdown_pct != null ? fmtPct(-Math.abs(s.max_drawdown_pct), 2, false) : "—"}</TD>
                    <TD className="hidden text-right md:table-cell" data-testid="run-trades">{s?.trade_count ?? "—"}</TD>
                    <TD className="text-right md:text-left">
                      <span className="inline-flex flex-col items-end gap-2 md:flex-row md:items-center md:gap-3">
                      <Link className="text-primary underline-offset-4 hover:underline" href={`/backtests/view/?id=${encodeURIComponent(r.id)}`}>
                        Open<span className="sr-only"> run {r.id.slice(0, 8)}</span>
                      </Link>
                      {done && r.strategy_id ? (
                        <Link className="text-primary underline-offset-4 hover:underline" href={`/backtests/view/?id=${encodeURIComponent(r.id)}&wf=1#walk-forward`} data-testid="walk-forward-link">
                          Walk-forward<span className="sr-only"> from run {r.id.slice(0, 8)}</span>
                        </Link>
                      ) : null}
                      </span>
                    </TD>
                  </TR>
                );
              })}
            </TBody>
          </Table>
        </div>
      ) : null}
      {q.hasNextPage ? (
        <div className="mt-3 flex justify-center">
          <Button variant="outline" onClick={() => q.fetchNextPage()} disabled={q.isFetchingNextPage}>
            Load more
          </Button>
        </div>
      ) : null}
    </>
  );
}

export default function BacktestsPage() {
  return (
    <AppShell title="Backtests">
      <List />
    </AppShell>
  );
}
