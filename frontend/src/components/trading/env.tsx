import * as React from "react";
import { FlaskConical, Radio } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { cn } from "@/lib/utils";
import type { Deployment, Environment } from "@/lib/api/trading";

/**
 * Paper and live must never be confused: live is a solid red "LIVE" label with a radio icon
 * everywhere; paper is a muted outline "PAPER" with a flask. Colour is never the only signal.
 */
export function EnvBadge({ env, className }: { env: Environment; className?: string }) {
  if (env === "live")
    return (
      <span
        data-testid="env-badge"
        data-env="live"
        className={cn("inline-flex items-center gap-1 rounded-md border-2 border-red-700 bg-red-700 px-2 py-0.5 text-xs font-extrabold tracking-widest text-white uppercase", className)}
      >
        <Radio className="size-3.5" aria-hidden /> LIVE
      </span>
    );
  return (
    <span
      data-testid="env-badge"
      data-env="paper"
      className={cn("inline-flex items-center gap-1 rounded-md border border-dashed border-sky-700/60 bg-sky-500/10 px-2 py-0.5 text-xs font-semibold tracking-wider text-sky-800 uppercase dark:border-sky-300/60 dark:text-sky-200", className)}
    >
      <FlaskConical className="size-3.5" aria-hidden /> Paper
    </span>
  );
}

/** A box that is unmistakably live: thick red border and a banner across its top. */
export function EnvFrame({ env, children, className, label }: { env: Environment; children: React.ReactNode; className?: string; label?: string }) {
  if (env !== "live") return <div className={className}>{children}</div>;
  return (
    <div className={cn("rounded-xl border-4 border-red-700", className)} data-live-frame>
      <p className="flex items-center gap-2 bg-red-700 px-3 py-1.5 text-sm font-bold tracking-wide text-white" role="note">
        <Radio className="size-4" aria-hidden /> LIVE TRADING — {label ?? "real money, real orders"}
      </p>
      <div className="p-2 sm:p-3">{children}</div>
    </div>
  );
}

const STATUS: Record<Deployment["status"], React.ComponentProps<typeof Badge>["variant"]> = {
  pending: "secondary",
  running: "success",
  paused: "warning",
  stopped: "outline",
  expired: "outline",
  failed: "destructive",
};
export function StatusBadge({ status }: { status: Deployment["status"] }) {
  return (
    <Badge variant={STATUS[status]} data-testid="deployment-status">
      {status}
    </Badge>
  );
}

const RISK: Record<Deployment["risk_state"], React.ComponentProps<typeof Badge>["variant"]> = {
  active: "success",
  reducing: "warning",
  halted: "destructive",
  killed: "destructive",
  paused: "warning",
};
export function RiskBadge({ state }: { state: Deployment["risk_state"] }) {
  return (
    <Badge variant={RISK[state]} data-testid="risk-state" className={state === "killed" ? "font-bold uppercase" : undefined}>
      risk {state}
    </Badge>
  );
}

export function Money({ v, currency = "USD", signed = false, className }: { v: number | null | undefined; currency?: string; signed?: boolean; className?: string }) {
  if (v === null || v === undefined || Number.isNaN(v)) return <span className={className}>—</span>;
  const s = Math.abs(v).toLocaleString("en-US", { style: "currency", currency, maximumFractionDigits: 2, minimumFractionDigits: 2 });
  const sign = v < 0 ? "−" : signed && v > 0 ? "+" : "";
  return (
    <span className={cn("tabular", signed && v > 0 && "text-success", signed && v < 0 && "text-destructive", className)}>
      {sign}
      {s}
    </span>
  );
}
