"use client";
import * as React from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useQueries } from "@tanstack/react-query";
import { AppShell, PageHeader } from "@/components/layout/app-shell";
import { CompareView } from "@/components/backtest/compare";
import { EmptyState, ProblemAlert } from "@/components/problem";
import { Skeleton } from "@/components/ui/progress";
import { backtests, strategies } from "@/lib/api/endpoints";
import { fmtDateTime } from "@/lib/format";
import { useRunVersions } from "@/lib/use-run-versions";

function Compare() {
  const ids = (useSearchParams().get("ids") ?? "").split(",").filter(Boolean).slice(0, 4);
  const runs = useQueries({ queries: ids.map((id) => ({ queryKey: ["backtest", id], queryFn: () => backtests.get(id), staleTime: Infinity })) });
  const sids = [...new Set(runs.map((r) => r.data?.strategy_id).filter((x): x is string => !!x))];
  const strats = useQueries({ queries: sids.map((id) => ({ queryKey: ["strategy", id], queryFn: () => strategies.get(id) })) });
  const versions = useRunVersions();
  if (ids.length < 2) {
    return (
      <EmptyState title="Pick 2 to 4 runs to compare">
        Select them in <Link className="text-primary underline" href="/backtests/">your backtests</Link>.
      </EmptyState>
    );
  }
  const failed = runs.find((r) => r.isError);
  if (failed) return <ProblemAlert error={failed.error} />;
  if (runs.some((r) => r.isPending)) return <Skeleton className="h-96 w-full" />;
  const data = runs.map((r) => r.data!);
  const nameOf = (sid: string | null | undefined) => strats.find((s) => s.data?.id === sid)?.data?.name;
  const labels = data.map((r, i) => `${i + 1}. ${nameOf(r.strategy_id) ?? "Run"}${versions.has(r.id) ? ` v${versions.get(r.id)}` : ""} · ${fmtDateTime(r.created_at)}`);
  return (
    <>
      <PageHeader title="Compare backtests" description={`${data.length} runs side by side`} />
      {data.some((r) => !r.result) ? (
        <p role="note" className="mb-3 text-sm text-muted-foreground">
          Runs that have not finished are shown without figures.
        </p>
      ) : null}
      <CompareView runs={data} labels={labels} />
    </>
  );
}

export default function ComparePage() {
  return (
    <AppShell title="Compare">
      <React.Suspense fallback={<Skeleton className="h-96 w-full" />}>
        <Compare />
      </React.Suspense>
    </AppShell>
  );
}
