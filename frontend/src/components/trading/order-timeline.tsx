"use client";
import * as React from "react";
import { Badge } from "@/components/ui/badge";
import { seqIndex, snapshotSeqOf, type Fill, type Order, type TargetSnapshot } from "@/lib/api/trading";
import { fmtDate, fmtDateTime } from "@/lib/format";
import { cn } from "@/lib/utils";

const DECISION: Record<Order["risk_decision"], React.ComponentProps<typeof Badge>["variant"]> = { allow: "success", clip: "warning", deny: "destructive" };
const STATE_TONE: Partial<Record<Order["state"], React.ComponentProps<typeof Badge>["variant"]>> = {
  filled: "success",
  partially_filled: "warning",
  rejected: "destructive",
  unknown: "destructive",
  cancelled: "outline",
  expired: "outline",
};

export interface OrderTrail {
  order: Order;
  target: TargetSnapshot | null;
  fills: Fill[];
}

/** Links each order to the target snapshot that caused it (by the client order id's snapshot sequence) and its fills. */
export function buildTrails(orders: Order[], targets: TargetSnapshot[], fills: Fill[]): OrderTrail[] {
  const bySeq = seqIndex(targets);
  const fillsBy = new Map<string, Fill[]>();
  for (const f of fills) fillsBy.set(f.order_id, [...(fillsBy.get(f.order_id) ?? []), f]);
  return [...orders]
    .sort((a, b) => b.created_at.localeCompare(a.created_at))
    .map((order) => {
      const seq = snapshotSeqOf(order.client_order_id);
      return { order, target: seq !== null ? (bySeq.get(seq) ?? null) : null, fills: (fillsBy.get(order.id) ?? []).sort((a, b) => a.ts.localeCompare(b.ts)) };
    });
}

function Step({ n, title, children, last }: { n: number; title: string; children: React.ReactNode; last?: boolean }) {
  return (
    <li className="relative grid grid-cols-[1.5rem_minmax(0,1fr)] gap-2">
      <span aria-hidden className="grid size-6 place-items-center rounded-full border bg-background text-xs font-semibold">
        {n}
      </span>
      {!last ? <span aria-hidden className="absolute top-6 bottom-0 left-3 w-px bg-border" /> : null}
      <div className="min-w-0 pb-3">
        <p className="text-xs font-semibold tracking-wide text-muted-foreground uppercase">{title}</p>
        <div className="text-sm break-words">{children}</div>
      </div>
    </li>
  );
}

/** signal bars → target → risk decision → order → fills, for one order. */
export function AuditTrail({ trail }: { trail: OrderTrail }) {
  const { order: o, target: t, fills } = trail;
  const line = t?.lines.find((l) => l.symbol === o.symbol);
  return (
    <ol className="mt-2 grid" aria-label={`Audit trail of order ${o.client_order_id}`} data-testid="audit-trail">
      <Step n={1} title="Signal">
        {t ? (
          <>
            {Object.entries(t.signal).map(([s, v]) => `${s}: ${v}`).join(", ") || "—"} on the bar closing {fmtDate(t.bar_at)}
          </>
        ) : o.reason.startsWith("kill_flatten") ? (
          "none: the kill switch’s flatten"
        ) : (
          "not linked to a target (manual or protective order)"
        )}
      </Step>
      <Step n={2} title="Target">
        {t ? (
          <>
            {line ? `${line.symbol} target ${line.target_qty} (${line.reason}, reference ${Number(line.reference_price).toFixed(2)})` : "—"} · <Badge variant="outline">{t.review}</Badge>
          </>
        ) : (
          "—"
        )}
      </Step>
      <Step n={3} title="Risk decision">
        <Badge variant={DECISION[o.risk_decision]}>{o.risk_decision}</Badge> {o.reduce_only ? "· reduce-only" : ""}
      </Step>
      <Step n={4} title="Order">
        <span className="font-mono text-xs">{o.client_order_id}</span> · {o.side} {o.qty} {o.symbol} {o.type}
        {o.limit_price ? ` @ ${o.limit_price}` : ""}
        {o.stop_price ? ` stop ${o.stop_price}` : ""} · reason {o.reason} · <Badge variant={STATE_TONE[o.state] ?? "secondary"}>{o.state}</Badge>
        {o.dry_run ? " · dry run (not sent)" : ""}
      </Step>
      <Step n={5} title="Fills" last>
        {fills.length ? (
          <ul className="grid gap-0.5">
            {fills.map((f) => (
              <li key={f.id} className="tabular" data-testid="trail-fill">
                {fmtDateTime(f.ts)} · {f.side} {f.qty} @ {f.price} · fees {f.fees} · <span className="font-mono text-xs">{f.execution_id}</span>
              </li>
            ))}
          </ul>
        ) : (
          "none"
        )}
      </Step>
    </ol>
  );
}

/** Orders newest first, each with its fills; expanding one shows its audit trail. */
export function OrderTimeline({ trails, pageSize = 20 }: { trails: OrderTrail[]; pageSize?: number }) {
  const [hideEmpty, setHideEmpty] = React.useState(true);
  const [count, setCount] = React.useState(pageSize);
  if (!trails.length) return <p className="text-sm text-muted-foreground">No orders yet: they appear when a target differs from what the deployment holds.</p>;
  // protective stops are re-placed each bar: the cancelled ones without a fill are noise by default
  const isEmptyCancel = (t: OrderTrail) => (t.order.state === "cancelled" || t.order.state === "expired") && !t.fills.length;
  const hidden = trails.filter(isEmptyCancel).length;
  const list = hideEmpty ? trails.filter((t) => !isEmptyCancel(t)) : trails;
  return (
    <div className="grid gap-2">
      {hidden ? (
        <label className="flex items-center gap-2 text-xs text-muted-foreground">
          <input type="checkbox" className="size-4 accent-[var(--primary)]" checked={hideEmpty} onChange={(e) => setHideEmpty(e.target.checked)} data-testid="hide-cancelled" />
          Hide {hidden} cancelled order{hidden === 1 ? "" : "s"} without fills (replaced protective stops)
        </label>
      ) : null}
    <ul className="grid gap-2" data-testid="order-timeline">
      {list.slice(0, count).map((tr) => {
        const o = tr.order;
        return (
          <li key={o.id} data-testid="order-row" className="rounded-lg border">
            <details className="group">
              <summary className="flex cursor-pointer flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2 text-sm">
                <span className="tabular text-xs text-muted-foreground" title={`created ${fmtDateTime(o.created_at)}`}>
                  {tr.target ? `bar ${fmtDate(tr.target.bar_at)}` : fmtDateTime(o.created_at)}
                </span>
                <span className={cn("font-semibold uppercase", o.side === "buy" ? "text-success" : "text-destructive")}>{o.side}</span>
                <span className="tabular">
                  {o.filled_qty}/{o.qty} {o.symbol}
                </span>
                {o.avg_fill_price ? <span className="tabular">@ {Number(o.avg_fill_price).toFixed(2)}</span> : null}
                <Badge variant={STATE_TONE[o.state] ?? "secondary"}>{o.state}</Badge>
                {o.risk_decision !== "allow" ? <Badge variant={DECISION[o.risk_decision]}>risk {o.risk_decision}</Badge> : null}
                <span className="text-xs text-muted-foreground">{tr.fills.length} fill{tr.fills.length === 1 ? "" : "s"}</span>
                <span className="ml-auto text-xs text-primary group-open:hidden">Audit trail</span>
              </summary>
              <div className="border-t px-3 py-2">
                <AuditTrail trail={tr} />
              </div>
            </details>
          </li>
        );
      })}
    </ul>
      {list.length > count ? (
        <button type="button" className="justify-self-start text-sm text-primary underline" onClick={() => setCount((c) => c + pageSize * 5)}>
          Show more ({list.length - count} older)
        </button>
      ) : null}
    </div>
  );
}
