"use client";
import * as React from "react";
import Link from "next/link";
import { useQueries, useQuery } from "@tanstack/react-query";
import { PageHeader } from "@/components/layout/app-shell";
import { EmptyState, ProblemAlert } from "@/components/problem";
import { Skeleton } from "@/components/ui/progress";
import { DeploymentCard } from "@/components/trading/deployment-card";
import { TradingShell, useLive } from "@/components/trading/trading-shell";
import { strategies } from "@/lib/api/endpoints";
import { api } from "@/lib/api/client";
import { deployments, tk, type TargetSnapshot } from "@/lib/api/trading";

function Home() {
  const { poll } = useLive();
  const list = useQuery({ queryKey: tk.deployments, queryFn: deployments.list, refetchInterval: poll });
  const names = useQuery({ queryKey: ["strategies", "names"], queryFn: () => strategies.list(), staleTime: 60_000 });
  const items = list.data?.items ?? [];
  const pnls = useQueries({
    queries: items.map((d) => ({ queryKey: [...tk.deployment(d.id), "pnl"], queryFn: () => deployments.pnl(d.id), refetchInterval: poll })),
  });
  const lasts = useQueries({
    queries: items.map((d) => ({
      queryKey: [...tk.deployment(d.id), "last-target"],
      queryFn: async () => (await api<{ items: TargetSnapshot[] }>(`/deployments/${encodeURIComponent(d.id)}/targets?limit=1`)).items[0] ?? null,
      refetchInterval: poll,
    })),
  });
  const nameOf = new Map((names.data?.items ?? []).map((s) => [s.id, s.name]));
  const live = items.filter((d) => d.environment === "live").length;
  return (
    <>
      <PageHeader
        title="Trading"
        description={
          items.length
            ? `${items.length} deployment${items.length === 1 ? "" : "s"}: ${items.length - live} paper, ${live} live`
            : "Your paper and live deployments"
        }
      />
      {list.data?.unavailable?.length ? (
        <p role="status" className="mb-3 rounded-md border border-warning/40 bg-warning/10 p-2 text-sm">
          The {list.data.unavailable.join(" and ")} trading service did not answer: its deployments are missing from this list.
        </p>
      ) : null}
      {list.isPending ? <Skeleton className="h-40 w-full" /> : null}
      {list.isError ? <ProblemAlert error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.data && !items.length ? (
        <EmptyState title="Nothing deployed yet">
          Open a finished backtest in <Link className="text-primary underline" href="/backtests/">your backtests</Link> and press “Deploy to paper”.
        </EmptyState>
      ) : null}
      <div className="grid grid-cols-[minmax(0,1fr)] gap-3 xl:grid-cols-2" data-testid="deployment-list">
        {items.map((d, i) => (
          <DeploymentCard key={d.id} d={d} name={nameOf.get(d.strategy_id) ?? undefined} pnl={pnls[i]?.data} last={lasts[i]?.data ?? undefined} />
        ))}
      </div>
    </>
  );
}

export default function TradingPage() {
  return (
    <TradingShell title="Trading">
      <Home />
    </TradingShell>
  );
}
