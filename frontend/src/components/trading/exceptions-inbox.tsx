"use client";
import * as React from "react";
import Link from "next/link";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ReasonDialog } from "@/components/trading/reason-dialog";
import { tk, trading, type TradingException } from "@/lib/api/trading";
import { fmtDateTime, humanize } from "@/lib/format";
import { toast } from "@/lib/toast";
import { cn } from "@/lib/utils";

const SEV: Record<TradingException["severity"], React.ComponentProps<typeof Badge>["variant"]> = { info: "secondary", warning: "warning", critical: "destructive" };
type Filter = "open" | "all";

/** Open (and acknowledged) exceptions first; acknowledge while working on one, resolve with a reason. */
export function ExceptionsInbox({ items }: { items: TradingException[] }) {
  const qc = useQueryClient();
  const [filter, setFilter] = React.useState<Filter>("open");
  const [pending, setPending] = React.useState<{ e: TradingException; action: "acknowledge" | "resolve" } | null>(null);
  const act = useMutation({
    mutationFn: ({ e, action, reason }: { e: TradingException; action: "acknowledge" | "resolve"; reason: string }) => trading.exceptionAction(e.id, action, reason),
    onSuccess: (e) => {
      setPending(null);
      toast.success(`Exception ${e.status}`);
      void qc.invalidateQueries({ queryKey: tk.all });
    },
  });
  const rank = { open: 0, acknowledged: 1, resolved: 2 } as const;
  const shown = items
    .filter((e) => filter === "all" || e.status !== "resolved")
    .sort((a, b) => rank[a.status] - rank[b.status] || b.created_at.localeCompare(a.created_at));
  const open = items.filter((e) => e.status === "open").length;
  return (
    <section aria-labelledby="exceptions-heading" className="grid gap-2" data-testid="exceptions">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="exceptions-heading" className="font-semibold">
          Exceptions {open ? <Badge variant="destructive">{open} open</Badge> : <Badge variant="success">none open</Badge>}
        </h2>
        <div role="group" aria-label="Which exceptions" className="flex gap-1">
          {(["open", "all"] as const).map((f) => (
            <Button key={f} size="sm" variant={filter === f ? "secondary" : "ghost"} aria-pressed={filter === f} onClick={() => setFilter(f)}>
              {f === "open" ? "Needs attention" : "All"}
            </Button>
          ))}
        </div>
      </div>
      {!shown.length ? <p className="text-sm text-muted-foreground">{filter === "open" ? "Nothing needs attention." : "No exceptions."}</p> : null}
      <ul className="grid gap-2">
        {shown.map((e) => (
          <li key={e.id} className={cn("grid gap-1 rounded-lg border p-3 text-sm", e.status === "open" && e.severity === "critical" && "border-destructive/60")} data-testid="exception-row" data-status={e.status}>
            <div className="flex flex-wrap items-center gap-2">
              <Badge variant={SEV[e.severity]}>{e.severity}</Badge>
              <span className="font-medium">{humanize(e.kind)}</span>
              <Badge variant="outline">{e.status}</Badge>
              <span className="text-xs text-muted-foreground">{fmtDateTime(e.created_at)}</span>
              {e.deployment_id ? (
                <Link className="text-xs text-primary underline" href={`/trading/deployment/?id=${encodeURIComponent(e.deployment_id)}`}>
                  deployment {e.deployment_id.slice(0, 8)}
                </Link>
              ) : null}
            </div>
            <p className="break-words">{e.detail}</p>
            {e.status !== "resolved" ? (
              <div className="flex flex-wrap gap-2">
                {e.status === "open" ? (
                  <Button size="sm" variant="outline" onClick={() => setPending({ e, action: "acknowledge" })} data-testid="acknowledge-exception">
                    Acknowledge…
                  </Button>
                ) : null}
                <Button size="sm" onClick={() => setPending({ e, action: "resolve" })} data-testid="resolve-exception">
                  Resolve…
                </Button>
              </div>
            ) : (
              <p className="text-xs text-muted-foreground">resolved {fmtDateTime(e.resolved_at)}</p>
            )}
          </li>
        ))}
      </ul>
      <ReasonDialog
        open={!!pending}
        onOpenChange={(o) => !o && setPending(null)}
        title={pending?.action === "resolve" ? "Resolve this exception?" : "Acknowledge this exception?"}
        description={pending ? `${humanize(pending.e.kind)}: ${pending.e.detail}` : ""}
        confirmLabel={pending?.action === "resolve" ? "Resolve" : "Acknowledge"}
        busy={act.isPending}
        error={act.error}
        onConfirm={(reason) => pending && act.mutate({ e: pending.e, action: pending.action, reason })}
        testId="exception-dialog"
      />
    </section>
  );
}
