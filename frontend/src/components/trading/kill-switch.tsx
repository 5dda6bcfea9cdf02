"use client";
import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { OctagonX, ShieldCheck } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Progress } from "@/components/ui/progress";
import { EnvBadge } from "@/components/trading/env";
import { ReasonDialog } from "@/components/trading/reason-dialog";
import { ProblemAlert } from "@/components/problem";
import { num, tk, trading, type BrokerAccount, type Position } from "@/lib/api/trading";
import { toast } from "@/lib/toast";
import { cn } from "@/lib/utils";

/** Attributed positions still open: what a kill's flatten still has to close. */
export function openAttributed(positions: Position[] | undefined): number {
  return (positions ?? []).filter((p) => p.deployment_id !== null && (num(p.qty) ?? 0) !== 0).length;
}

/**
 * The kill switch of one account: one click opens a confirmation with a reason; afterwards the
 * bar shows KILLED and the flatten's progress (attributed positions closed); re-arm needs a reason.
 */
export function KillSwitch({ account, poll }: { account: BrokerAccount; poll: number }) {
  const qc = useQueryClient();
  const risk = useQuery({ queryKey: [...tk.account(account.id), "risk"], queryFn: () => trading.risk(account.id), refetchInterval: poll });
  const killed = risk.data?.state === "killed";
  const positions = useQuery({
    queryKey: [...tk.account(account.id), "positions"],
    queryFn: () => trading.positions(account.id),
    enabled: killed,
    refetchInterval: killed ? Math.min(poll, 3000) : false,
  });
  const [flattenTotal, setFlattenTotal] = React.useState<number | null>(null);
  const [dialog, setDialog] = React.useState<"kill" | "rearm" | null>(null);
  const kill = useMutation({
    mutationFn: (reason: string) => trading.kill(reason, account.id),
    onSuccess: (r) => {
      setFlattenTotal(r.flatten_orders.length);
      setDialog(null);
      toast.error(`${account.environment === "live" ? "LIVE" : "Paper"} account killed: ${r.flatten_orders.length} flatten order(s) sent`);
      void qc.invalidateQueries({ queryKey: tk.all });
    },
  });
  const rearm = useMutation({
    mutationFn: (reason: string) => trading.rearm(reason, account.id),
    onSuccess: () => {
      setFlattenTotal(null);
      setDialog(null);
      toast.success("Account re-armed");
      void qc.invalidateQueries({ queryKey: tk.all });
    },
  });
  const remaining = killed ? openAttributed(positions.data) : 0;
  const total = flattenTotal ?? (killed && positions.data ? remaining : null);
  const live = account.environment === "live";
  return (
    <section
      aria-label={`Kill switch, ${account.name}`}
      data-testid="kill-switch"
      data-state={risk.data?.state ?? "unknown"}
      className={cn(
        "flex flex-wrap items-center gap-x-3 gap-y-2 rounded-lg border px-3 py-2 text-sm",
        killed ? "border-red-700 bg-red-700/10" : "bg-card",
        live && "border-2 border-red-700",
      )}
    >
      <EnvBadge env={account.environment} />
      <span className="min-w-0 truncate font-medium">{account.name}</span>
      <span className="text-muted-foreground" data-testid="account-risk-state">
        {risk.data ? (
          killed ? (
            <strong className="font-bold text-destructive uppercase">killed</strong>
          ) : (
            <>
              risk <strong className="text-foreground">{risk.data.state}</strong>
            </>
          )
        ) : risk.isError ? (
          "risk state unavailable"
        ) : (
          "…"
        )}
      </span>
      {killed ? (
        <span className="grid min-w-40 flex-1 gap-1" data-testid="flatten-progress">
          <span className="text-xs">
            {positions.data
              ? remaining === 0
                ? "Flatten complete: no attributed position open"
                : `Flattening: ${remaining} attributed position${remaining === 1 ? "" : "s"} still open`
              : "Checking positions…"}
          </span>
          {total ? <Progress value={total ? (total - remaining) / total : 1} label="Flatten progress" className="bg-red-700/20" /> : null}
        </span>
      ) : (
        <span className="flex-1" />
      )}
      {killed ? (
        <Button size="sm" variant="outline" onClick={() => setDialog("rearm")} data-testid="rearm-button">
          <ShieldCheck /> Re-arm…
        </Button>
      ) : (
        <Button size="sm" variant="destructive" onClick={() => setDialog("kill")} data-testid="kill-button" disabled={!risk.data}>
          <OctagonX /> Kill switch
        </Button>
      )}
      {risk.isError ? <ProblemAlert error={risk.error} className="basis-full" /> : null}
      <ReasonDialog
        open={dialog === "kill"}
        onOpenChange={(o) => setDialog(o ? "kill" : null)}
        title={`Kill ${live ? "the LIVE" : "the paper"} account “${account.name}”?`}
        description={
          <>
            Every working order is cancelled and every attributed position is flattened with reduce-only orders. The account stays <strong>killed</strong> — across restarts — until someone re-arms it.
          </>
        }
        confirmLabel="Kill now"
        destructive
        busy={kill.isPending}
        error={kill.error}
        onConfirm={(r) => kill.mutate(r)}
        testId="kill-dialog"
      />
      <ReasonDialog
        open={dialog === "rearm"}
        onOpenChange={(o) => setDialog(o ? "rearm" : null)}
        title={`Re-arm “${account.name}”?`}
        description="Trading resumes for this account. Say what was checked or fixed."
        confirmLabel="Re-arm"
        busy={rearm.isPending}
        error={rearm.error}
        onConfirm={(r) => rearm.mutate(r)}
        testId="rearm-dialog"
      />
    </section>
  );
}
