"use client";
import * as React from "react";
import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Progress } from "@/components/ui/progress";
import { EnvBadge, Money, RiskBadge, StatusBadge } from "@/components/trading/env";
import { todaysPnl, totalPnl, type Deployment, type PnL, type TargetSnapshot } from "@/lib/api/trading";
import { fmtDate, fmtDateTime } from "@/lib/format";
import { cn } from "@/lib/utils";

const TF_MS: Record<string, number> = { "1m": 60e3, "5m": 300e3, "15m": 900e3, "30m": 1800e3, "1h": 3600e3, "4h": 14400e3, "1d": 86400e3, "1w": 604800e3 };

/** When the deployment acts next, in words. */
export function nextRun(d: Deployment): string {
  if (d.status !== "running" && d.status !== "pending") return "—";
  if (d.replay && !d.replay.finished) return `next replay bar in ~${Math.max(1, Math.round(1000 / (d.replay.bars_per_second || 1)))} ms`;
  if (d.replay?.finished) return "replay finished";
  const step = TF_MS[d.timeframe] ?? 86400e3;
  if (!d.last_bar_at) return `at the next ${d.timeframe} bar close`;
  return `after the ${d.timeframe} bar closing ${fmtDateTime(new Date(new Date(d.last_bar_at).getTime() + step).toISOString())}`;
}

export function lastSignal(t: TargetSnapshot | undefined): string {
  if (!t) return "none yet";
  const sig = Object.entries(t.signal ?? {})
    .map(([s, v]) => (Object.keys(t.signal).length > 1 ? `${s} ${v}` : v))
    .join(", ");
  return `${sig || "—"} · bar ${fmtDate(t.bar_at)}`;
}

export function ReplayProgress({ d }: { d: Deployment }) {
  if (!d.replay) return null;
  const r = d.replay;
  const frac = r.bars_total ? r.bars_done / r.bars_total : r.finished ? 1 : 0;
  return (
    <div className="grid gap-1" data-testid="replay-progress">
      <div className="flex flex-wrap justify-between gap-2 text-xs text-muted-foreground">
        <span>
          <Badge variant="secondary">replay</Badge> {r.start} → {r.end}
        </span>
        <span className="tabular">
          {r.finished ? "finished" : `${r.bars_done.toLocaleString("en-US")} / ${r.bars_total ? r.bars_total.toLocaleString("en-US") : "…"} bars`}
          {r.cursor ? ` · at ${fmtDate(r.cursor)}` : ""}
        </span>
      </div>
      <Progress value={frac} label={`Replay progress of deployment ${d.id.slice(0, 8)}`} />
    </div>
  );
}

export function DeploymentCard({ d, name, pnl, last }: { d: Deployment; name?: string; pnl?: PnL; last?: TargetSnapshot }) {
  const live = d.environment === "live";
  return (
    <article
      data-testid="deployment-card"
      data-env={d.environment}
      className={cn("grid min-w-0 gap-3 rounded-xl border bg-card p-4", live ? "border-4 border-red-700" : "border-l-4 border-l-sky-600/60")}
      aria-label={`${live ? "LIVE" : "Paper"} deployment ${name ?? d.symbols.join(", ")}`}
    >
      {live ? <p className="-mx-4 -mt-4 rounded-t-lg bg-red-700 px-4 py-1 text-xs font-bold tracking-widest text-white">LIVE — REAL MONEY</p> : null}
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h2 className="truncate font-semibold">
            <Link href={`/trading/deployment/?id=${encodeURIComponent(d.id)}`} className="hover:underline" data-testid="deployment-link">
              {name ?? "Strategy"} <span className="text-muted-foreground">v{d.version}</span>
            </Link>
          </h2>
          <p className="truncate text-xs text-muted-foreground">
            {d.symbols.join(", ")} · {d.timeframe} · {d.venue} · capital <Money v={Number(d.capital)} />
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-1.5">
          <EnvBadge env={d.environment} />
          <StatusBadge status={d.status} />
          <RiskBadge state={d.risk_state} />
          {d.dry_run ? <Badge variant="outline">dry run</Badge> : null}
          {d.review_mode === "manual" ? <Badge variant="outline">manual review</Badge> : null}
        </div>
      </div>
      <dl className="grid grid-cols-2 gap-x-4 gap-y-2 text-sm sm:grid-cols-4 xl:grid-cols-2 2xl:grid-cols-4">
        <div>
          <dt className="text-xs text-muted-foreground">Today’s P&amp;L</dt>
          <dd data-testid="pnl-today">
            <Money v={todaysPnl(pnl)} signed />
          </dd>
        </div>
        <div>
          <dt className="text-xs text-muted-foreground">Total P&amp;L</dt>
          <dd data-testid="pnl-total">
            <Money v={totalPnl(pnl)} signed /> {pnl ? <span className="text-xs text-muted-foreground tabular">({pnl.total_return_pct.toFixed(2)}%)</span> : null}
          </dd>
        </div>
        <div className="min-w-0">
          <dt className="text-xs text-muted-foreground">Last signal</dt>
          <dd className="truncate" data-testid="last-signal">{lastSignal(last)}</dd>
        </div>
        <div className="min-w-0">
          <dt className="text-xs text-muted-foreground">Next run</dt>
          <dd className="text-xs">{nextRun(d)}</dd>
        </div>
      </dl>
      <ReplayProgress d={d} />
      {!d.gates.passed ? (
        <p className="text-xs text-muted-foreground">
          Gates failing ({d.gates.failing.join(", ")}){d.gates.acknowledged ? " — acknowledged at deploy" : ""}
        </p>
      ) : null}
    </article>
  );
}
