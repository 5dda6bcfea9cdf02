"use client";
import * as React from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Pencil, RotateCw, Square } from "lucide-react";
import { AppShell, PageHeader } from "@/components/layout/app-shell";
import { BacktestDashboard } from "@/components/backtest/dashboard";
import { EmptyState, ProblemAlert } from "@/components/problem";
import { Badge } from "@/components/ui/badge";
import { Button, buttonClass } from "@/components/ui/button";
import { Progress, Skeleton } from "@/components/ui/progress";
import { backtests, strategies } from "@/lib/api/endpoints";
import { ApiError } from "@/lib/api/client";
import { fmtDateTime } from "@/lib/format";
import { useBacktestRun } from "@/lib/use-backtest";
import { useRunVersions } from "@/lib/use-run-versions";
import { useRunBacktest } from "@/lib/use-run-backtest";
import { DeployButton } from "@/components/trading/deploy-button";

const STATUS_VARIANT = { queued: "secondary", running: "default", succeeded: "success", failed: "destructive", cancelled: "warning" } as const;

/** Stops a queued or running run (the worker frees itself at its next progress step). */
function CancelRun({ id }: { id: string }) {
  const qc = useQueryClient();
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<unknown>(null);
  const cancel = async () => {
    setBusy(true);
    setError(null);
    try {
      qc.setQueryData(["backtest", id], await backtests.cancel(id));
    } catch (e) {
      setError(e); // e.g. 409: it finished meanwhile; the next poll shows the result
      void qc.invalidateQueries({ queryKey: ["backtest", id] });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="grid gap-2 justify-items-start">
      <Button size="sm" variant="outline" disabled={busy} onClick={() => void cancel()} data-testid="run-cancel">
        <Square /> {busy ? "Cancelling…" : "Cancel backtest"}
      </Button>
      {error ? <ProblemAlert error={error} /> : null}
    </div>
  );
}

function View() {
  const params = useSearchParams();
  const id = params.get("id");
  const run = useBacktestRun(id);
  const strategyId = run.data?.strategy_id ?? null;
  const strategy = useQuery({ queryKey: ["strategy", strategyId], queryFn: () => strategies.get(strategyId!), enabled: !!strategyId });
  const rerun = useRunBacktest();
  const versions = useRunVersions();
  if (!id) return <EmptyState title="No backtest selected">Open one from <Link className="text-primary underline" href="/backtests/">your backtests</Link>.</EmptyState>;
  if (run.isPending) return <Skeleton className="h-96 w-full" />;
  if (run.isError) return <ProblemAlert error={run.error} title={run.error instanceof ApiError && run.error.status === 404 ? "Backtest not found" : undefined} />;
  const r = run.data;
  const name = strategy.data?.name ?? (r.strategy_id ? "Strategy" : "Backtest");
  return (
    <>
      <PageHeader
        title={strategy.data?.name ? `Backtest · ${strategy.data.name}` : "Backtest"}
        description={
          <span className="inline-flex flex-wrap items-center gap-2">
            <Badge variant={STATUS_VARIANT[r.status]} data-testid="run-status">
              {r.status}
            </Badge>
            {id && versions.has(id) ? <Badge variant="outline" data-testid="run-version">version {versions.get(id)}</Badge> : null}
            <span>started {fmtDateTime(r.created_at)}</span>
          </span>
        }
        actions={
          r.strategy_id ? (
            <>
              <Link className={buttonClass("outline", "sm")} href={`/editor/?id=${encodeURIComponent(r.strategy_id)}`}>
                <Pencil /> Edit strategy
              </Link>
              <Button size="sm" variant="outline" disabled={rerun.running} onClick={() => rerun.run({ strategy_id: r.strategy_id! })}>
                <RotateCw /> Re-run
              </Button>
              {r.status === "succeeded" && r.result ? (
                <DeployButton
                  ctx={{
                    strategyId: r.strategy_id,
                    strategyName: name,
                    version: versions.get(r.id) ?? null,
                    backtestId: r.id,
                    gates: r.result.gates ?? [],
                    gateProfile: r.result.gate_profile ?? "strict",
                    initialCapital: r.result.summary_stats.initial_capital,
                    start: r.result.summary_stats.start,
                    end: r.result.summary_stats.end,
                  }}
                />
              ) : null}
            </>
          ) : null
        }
      />
      {r.status === "queued" || r.status === "running" ? (
        <div className="grid gap-2 rounded-xl border bg-card p-5" data-testid="run-progress">
          <p className="text-sm font-medium">{r.status === "queued" ? "Waiting for a backtest worker…" : `Running… ${Math.round(r.progress * 100)}%`}</p>
          <Progress value={r.progress} label="Backtest progress" />
          <p className="text-xs text-muted-foreground">The first run after a restart can take longer while the engine warms up.</p>
          <CancelRun id={r.id} />
        </div>
      ) : null}
      {r.status === "cancelled" ? (
        <p className="rounded-xl border border-warning/40 bg-warning/10 p-4 text-sm" data-testid="run-cancelled">
          You cancelled this backtest before it finished, so it has no results. Re-run it to start again.
        </p>
      ) : null}
      {r.status === "failed" ? <ProblemAlert error={new ApiError(r.error ?? { title: "Backtest failed", status: 500, detail: "The run failed without a reason." })} /> : null}
      {r.status === "succeeded" && r.result ? (
        <BacktestDashboard
          result={r.result}
          name={name}
          walkForward={
            r.strategy_id && strategy.data?.spec
              ? { spec: strategy.data.spec, busy: rerun.running, open: params.get("wf") === "1", onSubmit: (wf) => void rerun.run({ strategy_id: r.strategy_id!, walk_forward: wf }) }
              : undefined
          }
        />
      ) : null}
    </>
  );
}

export default function BacktestViewPage() {
  return (
    <AppShell title="Backtest">
      <React.Suspense fallback={<Skeleton className="h-96 w-full" />}>
        <View />
      </React.Suspense>
    </AppShell>
  );
}
