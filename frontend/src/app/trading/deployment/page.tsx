"use client";
import * as React from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Check, Pause, Play, Square, X } from "lucide-react";
import { PageHeader } from "@/components/layout/app-shell";
import { EmptyState, ProblemAlert } from "@/components/problem";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/progress";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { LinesChart, type LineDef } from "@/components/charts";
import { EnvBadge, EnvFrame, Money, RiskBadge, StatusBadge } from "@/components/trading/env";
import { ReplayProgress, nextRun } from "@/components/trading/deployment-card";
import { BreakerMeters } from "@/components/trading/risk-meters";
import { OrderTimeline, buildTrails } from "@/components/trading/order-timeline";
import { ReasonDialog } from "@/components/trading/reason-dialog";
import { PositionsTable, expectation } from "@/components/trading/positions";
import { TradingShell, useLive } from "@/components/trading/trading-shell";
import { ApiError } from "@/lib/api/client";
import { backtests, strategies } from "@/lib/api/endpoints";
import { deployments, num, tk, todaysPnl, totalPnl, trading, type Deployment, type PnL, type Position, type TargetSnapshot } from "@/lib/api/trading";
import type { Series } from "@/lib/api/types";
import { fmtDate, fmtDateTime } from "@/lib/format";
import { toast } from "@/lib/toast";

function Controls({ d }: { d: Deployment }) {
  const qc = useQueryClient();
  const [confirmStop, setConfirmStop] = React.useState(false);
  const act = useMutation({
    mutationFn: (a: "pause" | "resume" | "stop") => deployments.control(d.id, a),
    onSuccess: (nd, a) => {
      qc.setQueryData(tk.deployment(d.id), nd);
      void qc.invalidateQueries({ queryKey: tk.all });
      toast.success(a === "stop" ? "Deployment stopped" : a === "pause" ? "Deployment paused" : "Deployment resumed");
      setConfirmStop(false);
    },
  });
  const ended = d.status === "stopped" || d.status === "expired" || d.status === "failed";
  return (
    <>
      {d.status === "paused" ? (
        <Button size="sm" variant="outline" onClick={() => act.mutate("resume")} disabled={act.isPending} data-testid="resume">
          <Play /> Resume
        </Button>
      ) : (
        <Button size="sm" variant="outline" onClick={() => act.mutate("pause")} disabled={act.isPending || ended} data-testid="pause">
          <Pause /> Pause
        </Button>
      )}
      <Button size="sm" variant="destructive" onClick={() => setConfirmStop(true)} disabled={act.isPending || ended} data-testid="stop">
        <Square /> Stop…
      </Button>
      {act.error && !confirmStop ? <ProblemAlert error={act.error} className="basis-full" /> : null}
      <ReasonDialog
        open={confirmStop}
        onOpenChange={setConfirmStop}
        title="Stop this deployment for good?"
        description="Stopping is final: working orders are cancelled and no new bar is traded. Positions stay until you close them (the kill switch flattens them)."
        confirmLabel="Stop deployment"
        destructive
        busy={act.isPending}
        error={act.error}
        onConfirm={() => act.mutate("stop")}
        testId="stop-dialog"
      />
    </>
  );
}

function Targets({ d, targets }: { d: Deployment; targets: TargetSnapshot[] }) {
  const qc = useQueryClient();
  const [pending, setPending] = React.useState<{ t: TargetSnapshot; action: "approve" | "reject" } | null>(null);
  const review = useMutation({
    mutationFn: ({ t, action, reason }: { t: TargetSnapshot; action: "approve" | "reject"; reason: string }) => deployments.review(d.id, t.id, action, reason),
    onSuccess: (t) => {
      setPending(null);
      toast.success(`Target ${t.review}`);
      void qc.invalidateQueries({ queryKey: tk.deployment(d.id) });
      void qc.invalidateQueries({ queryKey: tk.targets(d.id) });
    },
  });
  const [count, setCount] = React.useState(12);
  const shown = targets.slice(0, count);
  const proposed = targets.filter((t) => t.review === "proposed");
  return (
    <div className="grid gap-2">
      {d.review_mode === "manual" ? (
        <p className="text-sm" data-testid="manual-review-note">
          Manual review: {proposed.length ? <strong>{proposed.length} target{proposed.length === 1 ? "" : "s"} waiting for you</strong> : "nothing waiting"}.
        </p>
      ) : null}
      {!targets.length ? <p className="text-sm text-muted-foreground">No target yet: one is made at each bar close.</p> : null}
      <ul className="grid gap-1.5" data-testid="targets">
        {shown.map((t) => (
          <li key={t.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 rounded-md border px-3 py-1.5 text-sm" data-testid="target-row" data-review={t.review}>
            <span className="tabular text-xs text-muted-foreground">bar {fmtDate(t.bar_at)}</span>
            <span>{Object.entries(t.signal).map(([s, v]) => (Object.keys(t.signal).length > 1 ? `${s} ${v}` : v)).join(", ")}</span>
            <span className="tabular text-xs">{t.lines.map((l) => `${l.symbol} → ${l.target_qty}`).join(", ")}</span>
            <Badge variant={t.review === "proposed" ? "warning" : t.review === "rejected" ? "destructive" : "outline"}>{t.review}</Badge>
            {t.review === "proposed" && d.review_mode === "manual" ? (
              <span className="ml-auto flex gap-1.5">
                <Button size="sm" onClick={() => setPending({ t, action: "approve" })} data-testid="approve-target">
                  <Check /> Approve
                </Button>
                <Button size="sm" variant="outline" onClick={() => setPending({ t, action: "reject" })} data-testid="reject-target">
                  <X /> Reject
                </Button>
              </span>
            ) : null}
          </li>
        ))}
      </ul>
      {targets.length > shown.length ? (
        <p className="text-xs text-muted-foreground">
          Showing the newest {shown.length} of {targets.length}.{" "}
          <button type="button" className="text-primary underline" onClick={() => setCount((c) => c + 60)}>
            Show more
          </button>
        </p>
      ) : null}
      <ReasonDialog
        open={!!pending}
        onOpenChange={(o) => !o && setPending(null)}
        title={pending?.action === "approve" ? "Approve this target?" : "Reject this target?"}
        description={pending ? `Bar ${fmtDate(pending.t.bar_at)}: ${pending.t.lines.map((l) => `${l.symbol} → ${l.target_qty}`).join(", ")}` : ""}
        confirmLabel={pending?.action === "approve" ? "Approve" : "Reject"}
        destructive={pending?.action === "reject"}
        busy={review.isPending}
        error={review.error}
        onConfirm={(reason) => pending && review.mutate({ t: pending.t, action: pending.action, reason })}
        testId="review-dialog"
      />
    </div>
  );
}

function View() {
  const id = useSearchParams().get("id");
  const { poll } = useLive();
  const enabled = !!id;
  const dep = useQuery({ queryKey: id ? tk.deployment(id) : ["none"], queryFn: () => deployments.get(id!), enabled, refetchInterval: poll });
  const key = (k: string) => [...tk.deployment(id ?? ""), k];
  const pnl = useQuery({ queryKey: key("pnl"), queryFn: () => deployments.pnl(id!), enabled, refetchInterval: poll });
  const orders = useQuery({ queryKey: key("orders"), queryFn: () => deployments.orders(id!), enabled, refetchInterval: poll });
  const fills = useQuery({ queryKey: key("fills"), queryFn: () => deployments.fills(id!), enabled, refetchInterval: poll });
  const targets = useQuery({ queryKey: tk.targets(id ?? ""), queryFn: () => deployments.targets(id!), enabled, refetchInterval: Math.max(poll, 10_000) });
  const positions = useQuery({ queryKey: key("positions"), queryFn: () => deployments.positions(id!), enabled, refetchInterval: poll });
  const d = dep.data;
  const risk = useQuery({ queryKey: [...tk.account(d?.account_id ?? null), "risk"], queryFn: () => trading.risk(d!.account_id), enabled: !!d, refetchInterval: poll });
  const strategy = useQuery({ queryKey: ["strategy", d?.strategy_id], queryFn: () => strategies.get(d!.strategy_id), enabled: !!d, staleTime: 60_000 });
  const bt = useQuery({ queryKey: ["backtest", d?.backtest_id], queryFn: () => backtests.get(d!.backtest_id), enabled: !!d, staleTime: Infinity });
  const trails = React.useMemo(() => buildTrails(orders.data ?? [], targets.data ?? [], fills.data ?? []), [orders.data, targets.data, fills.data]);
  const lines = React.useMemo<LineDef[]>(() => {
    const c = pnl.data?.curve ?? [];
    if (!c.length) return [];
    const ts = c.map((p) => p.ts);
    const l: LineDef[] = [{ name: "Deployment equity", series: { timestamps: ts, values: c.map((p) => p.equity) }, kind: "area" }];
    const exp = expectation(bt.data?.result?.equity_curve, pnl.data);
    if (exp) l.push({ name: "Backtest expectation", series: exp, dashed: true, color: "#8a8f9c" });
    return l;
  }, [pnl.data, bt.data]);
  const pnlLines = React.useMemo<LineDef[]>(() => {
    const c = pnl.data?.curve ?? [];
    if (!c.length) return [];
    const ts = c.map((p) => p.ts);
    return [
      { name: "Realized P&L", series: { timestamps: ts, values: c.map((p) => p.realized_pnl) } },
      { name: "Unrealized P&L", series: { timestamps: ts, values: c.map((p) => p.unrealized_pnl) }, dashed: true, color: "#d08b1c" },
    ];
  }, [pnl.data]);

  if (!id) return <EmptyState title="No deployment selected">Pick one on the <Link className="text-primary underline" href="/trading/">trading home</Link>.</EmptyState>;
  if (dep.isPending) return <Skeleton className="h-96 w-full" />;
  if (dep.isError) return <ProblemAlert error={dep.error} title={dep.error instanceof ApiError && dep.error.status === 404 ? "Deployment not found" : undefined} />;
  const dd = dep.data;
  const name = strategy.data?.name ?? "Strategy";
  const p = pnl.data;
  return (
    <EnvFrame env={dd.environment} label="this deployment sends real orders">
      <PageHeader
        title={`${name} v${dd.version}`}
        description={
          <span className="inline-flex flex-wrap items-center gap-2" data-testid="deployment-header">
            <EnvBadge env={dd.environment} />
            <StatusBadge status={dd.status} />
            <RiskBadge state={dd.risk_state} />
            {dd.dry_run ? <Badge variant="outline">dry run</Badge> : null}
            <Badge variant="outline">{dd.review_mode} review</Badge>
            <span>
              {dd.symbols.join(", ")} · {dd.timeframe} · since {fmtDateTime(dd.created_at)}
            </span>
          </span>
        }
        actions={<Controls d={dd} />}
      />
      <div className="grid grid-cols-[minmax(0,1fr)] gap-4">
        {dd.replay ? (
          <Card>
            <CardContent className="pt-4 sm:pt-5">
              <ReplayProgress d={dd} />
            </CardContent>
          </Card>
        ) : null}
        <div className="grid gap-2 rounded-xl border bg-card p-4">
        <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-3 lg:grid-cols-6" data-testid="deployment-figures">
          {(
            [
              ["Equity", <Money key="e" v={num(p?.equity)} />],
              ["Today", <Money key="t" v={todaysPnl(p)} signed />],
              ["Total P&L", <Money key="p" v={totalPnl(p)} signed />],
              ["Realized", <Money key="r" v={num(p?.realized_pnl)} signed />],
              ["Unrealized", <Money key="u" v={num(p?.unrealized_pnl)} signed />],
              ["Fees", <Money key="f" v={num(p?.fees)} />],
            ] as const
          ).map(([k, v]) => (
            <div key={k}>
              <dt className="text-xs text-muted-foreground">{k}</dt>
              <dd className="font-medium">{v}</dd>
            </div>
          ))}
        </dl>
          <p className="text-xs text-muted-foreground">
            Next run: {nextRun(dd)} · last bar {fmtDateTime(dd.last_bar_at)} · return {p ? `${p.total_return_pct.toFixed(2)}%` : "—"}
            {!dd.gates.passed ? ` · gates failing (${dd.gates.failing.join(", ")})${dd.gates.acknowledged ? ", acknowledged" : ""}` : " · gates passed"}
          </p>
        </div>
        <div className="grid grid-cols-[minmax(0,1fr)] gap-4 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
          <Card className="min-w-0">
            <CardHeader className="pb-2">
              <CardTitle>Equity and P&amp;L</CardTitle>
            </CardHeader>
            <CardContent data-testid="equity-curve">
              {pnl.isError ? <ProblemAlert error={pnl.error} /> : null}
              {lines.length ? (
                <>
                  <LinesChart lines={lines} height={240} label={`Deployment equity from ${p?.capital} to ${Number(p?.equity).toFixed(2)}${lines.length > 1 ? ", against the qualifying backtest over the same period" : ""}`} />
                  <h3 className="mt-3 mb-1 text-sm font-medium">Realized and unrealized P&amp;L</h3>
                  <LinesChart lines={pnlLines} height={140} label="Realized (solid) and unrealized (dashed) P&L over time" />
                </>
              ) : (
                <p className="text-sm text-muted-foreground">No equity points yet: the first comes with the first processed bar.</p>
              )}
            </CardContent>
          </Card>
          <Card className="min-w-0">
            <CardContent className="pt-4 sm:pt-5">
              {risk.data ? <BreakerMeters risk={risk.data} /> : risk.isError ? <ProblemAlert error={risk.error} /> : <Skeleton className="h-40 w-full" />}
              <p className="mt-3 text-xs text-muted-foreground">
                Breakers are per account:{" "}
                <Link className="text-primary underline" href={`/trading/account/?id=${encodeURIComponent(dd.account_id)}`}>
                  open the account
                </Link>
                .
              </p>
            </CardContent>
          </Card>
        </div>
        <Card className="min-w-0">
          <CardHeader className="pb-2">
            <CardTitle>Positions</CardTitle>
          </CardHeader>
          <CardContent>{positions.data ? <PositionsTable positions={positions.data} caption="Positions of this deployment" /> : positions.isError ? <ProblemAlert error={positions.error} /> : <Skeleton className="h-16 w-full" />}</CardContent>
        </Card>
        <div className="grid grid-cols-[minmax(0,1fr)] gap-4 xl:grid-cols-2">
          <Card className="min-w-0">
            <CardHeader className="pb-2">
              <CardTitle>
                Orders and fills <span className="text-sm font-normal text-muted-foreground">({orders.data?.length ?? 0} orders, {fills.data?.length ?? 0} fills)</span>
              </CardTitle>
            </CardHeader>
            <CardContent>
              {orders.isError ? <ProblemAlert error={orders.error} /> : null}
              {orders.data ? <OrderTimeline trails={trails} /> : <Skeleton className="h-24 w-full" />}
            </CardContent>
          </Card>
          <Card className="min-w-0">
            <CardHeader className="pb-2">
              <CardTitle>Targets</CardTitle>
            </CardHeader>
            <CardContent>{targets.data ? <Targets d={dd} targets={targets.data} /> : targets.isError ? <ProblemAlert error={targets.error} /> : <Skeleton className="h-24 w-full" />}</CardContent>
          </Card>
        </div>
      </div>
    </EnvFrame>
  );
}

function Shell() {
  const id = useSearchParams().get("id");
  const dep = useQuery({ queryKey: id ? tk.deployment(id) : ["none"], queryFn: () => deployments.get(id!), enabled: !!id });
  return (
    <TradingShell title="Deployment" accountId={dep.data?.account_id ?? null}>
      <View />
    </TradingShell>
  );
}

export default function DeploymentPage() {
  return (
    <React.Suspense fallback={<Skeleton className="h-96 w-full" />}>
      <Shell />
    </React.Suspense>
  );
}
