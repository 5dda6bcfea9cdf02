"use client";
import * as React from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Rocket } from "lucide-react";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Field, Label } from "@/components/ui/label";
import { GateReport } from "@/components/backtest/gate-report";
import { ProblemAlert } from "@/components/problem";
import { EnvBadge } from "@/components/trading/env";
import { fieldErrors } from "@/lib/api/client";
import { deployments, tk, trading, type DeploymentRequest, type Environment, } from "@/lib/api/trading";
import type { GateResult } from "@/lib/api/types";
import { toast } from "@/lib/toast";
import { cn } from "@/lib/utils";

/** What a person types to deploy a strategy whose gates fail (paper only). */
export const ACK_PHRASE = "deploy anyway";

export interface DeployContext {
  strategyId: string;
  strategyName: string;
  /** The strategy version the run tested (the server refuses a run of another version's spec). */
  version?: number | null;
  backtestId: string;
  gates: GateResult[];
  gateProfile: string;
  initialCapital: number;
  /** The backtest's period (ISO), the default replay window. */
  start: string;
  end: string;
}

const radioCls = "flex cursor-pointer items-center gap-2 rounded-md border px-3 py-2 text-sm has-[:checked]:border-primary has-[:checked]:bg-primary/10 has-[:disabled]:cursor-not-allowed has-[:disabled]:opacity-50";

export function DeployDialog({ open, onOpenChange, ctx, initialMode = "paper" }: { open: boolean; onOpenChange: (o: boolean) => void; ctx: DeployContext; initialMode?: Environment }) {
  const router = useRouter();
  const qc = useQueryClient();
  const accounts = useQuery({ queryKey: tk.accounts, queryFn: trading.accounts, enabled: open });
  const gatesPass = ctx.gates.length > 0 && ctx.gates.every((g) => g.passed);
  const failing = ctx.gates.filter((g) => !g.passed);
  const [mode, setMode] = React.useState<Environment>(initialMode);
  const [capital, setCapital] = React.useState(String(ctx.initialCapital || 10000));
  const [accountId, setAccountId] = React.useState<string>("");
  const [review, setReview] = React.useState<"auto" | "manual">(initialMode === "live" ? "manual" : "auto");
  const [dryRun, setDryRun] = React.useState(false);
  const [replay, setReplay] = React.useState(true);
  const [replayStart, setReplayStart] = React.useState(ctx.start.slice(0, 10));
  const [replayEnd, setReplayEnd] = React.useState(ctx.end.slice(0, 10));
  const [bps, setBps] = React.useState("50");
  const [ack, setAck] = React.useState("");
  const [newName, setNewName] = React.useState("Paper");
  const [newCash, setNewCash] = React.useState("1000000");
  const id = React.useId();

  const envAccounts = (accounts.data?.items ?? []).filter((a) => a.environment === mode);
  const liveAccounts = (accounts.data?.items ?? []).filter((a) => a.environment === "live");
  React.useEffect(() => {
    if (!envAccounts.some((a) => a.id === accountId)) setAccountId(envAccounts[0]?.id ?? "");
  }, [envAccounts, accountId]);

  const createAccount = useMutation({
    mutationFn: () => trading.createAccount({ name: newName.trim() || "Paper", environment: "paper", venue: "paper", starting_cash: newCash || "1000000" }),
    onSuccess: (a) => {
      void qc.invalidateQueries({ queryKey: tk.accounts });
      setAccountId(a.id);
      toast.success(`Paper account “${a.name}” created`);
    },
  });

  const deploy = useMutation({
    mutationFn: () => {
      const body: DeploymentRequest = {
        strategy_id: ctx.strategyId,
        backtest_id: ctx.backtestId,
        version: ctx.version ?? null,
        mode,
        broker: "paper",
        capital: capital,
        account_id: accountId || null,
        dry_run: dryRun,
        review_mode: review,
        acknowledge_failed_gates: mode === "paper" && !gatesPass,
        gate_profile: "strict",
        replay: mode === "paper" && replay ? { start: replayStart, end: replayEnd, bars_per_second: Number(bps) || 50 } : null,
      };
      return deployments.create(body);
    },
    onSuccess: (d) => {
      void qc.invalidateQueries({ queryKey: tk.all });
      toast.success(`Deployed to ${d.environment === "live" ? "LIVE" : "paper"}`);
      onOpenChange(false);
      router.push(`/trading/deployment/?id=${encodeURIComponent(d.id)}`);
    },
  });
  const errs = fieldErrors(deploy.error);

  const live = mode === "live";
  const liveBlocked = live && (!gatesPass || liveAccounts.length === 0);
  const ackOk = gatesPass || live || ack.trim().toLowerCase() === ACK_PHRASE;
  const capitalOk = Number(capital) > 0;
  const accountOk = live ? !!accountId : true; // paper: the server makes the default paper account if none
  const canSubmit = !liveBlocked && ackOk && capitalOk && accountOk && !deploy.isPending;

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent className={cn("max-h-[92dvh] max-w-2xl overflow-y-auto", live && "border-4 border-red-700")} data-testid="deploy-dialog" aria-describedby={`${id}-desc`}>
        <DialogTitle className="flex flex-wrap items-center gap-2 pr-6">
          Deploy “{ctx.strategyName}”{ctx.version ? ` v${ctx.version}` : ""} <EnvBadge env={mode} />
        </DialogTitle>
        <DialogDescription id={`${id}-desc`}>
          From backtest run <span className="font-mono text-xs">{ctx.backtestId.slice(0, 8)}</span>. The server re-checks the gates from the stored run; nothing here can override them.
        </DialogDescription>
        {live ? (
          <p role="note" className="rounded-md bg-red-700 px-3 py-2 text-sm font-bold text-white" data-testid="live-warning">
            LIVE: real orders with real money at your broker.
          </p>
        ) : null}

        <fieldset className="grid gap-2">
          <legend className="mb-1 text-sm font-medium">Where</legend>
          <div className="grid grid-cols-2 gap-2">
            <label className={radioCls}>
              <input type="radio" name={`${id}-mode`} value="paper" checked={mode === "paper"} onChange={() => { setMode("paper"); setReview("auto"); }} className="accent-[var(--primary)]" />
              Paper (simulated)
            </label>
            <label className={cn(radioCls, "has-[:checked]:border-red-700 has-[:checked]:bg-red-700/10")}>
              <input type="radio" name={`${id}-mode`} value="live" checked={mode === "live"} onChange={() => { setMode("live"); setReview("manual"); }} disabled={!gatesPass || liveAccounts.length === 0} className="accent-red-700" data-testid="mode-live" />
              Go live
            </label>
          </div>
          {!gatesPass ? (
            <p className="text-xs text-muted-foreground" data-testid="live-blocked">Live is blocked: every gate must pass first.</p>
          ) : liveAccounts.length === 0 ? (
            <p className="text-xs text-muted-foreground">Live needs a live broker account; add one in settings.</p>
          ) : null}
        </fieldset>

        <div className="rounded-lg border p-3" data-testid="deploy-gates">
          <GateReport gates={ctx.gates} />
          <p className="mt-2 text-xs text-muted-foreground">Profile “{ctx.gateProfile}”, as the server evaluated it for this run.</p>
        </div>

        {!gatesPass && mode === "paper" ? (
          <div className="grid gap-1.5 rounded-lg border border-warning/50 bg-warning/10 p-3" data-testid="gate-ack">
            <Label htmlFor={`${id}-ack`}>
              {failing.length} gate{failing.length === 1 ? "" : "s"} fail ({failing.map((g) => g.name.replace(/_/g, " ")).join(", ")}). To deploy to paper anyway, type <strong className="font-mono">{ACK_PHRASE}</strong>
            </Label>
            <Input id={`${id}-ack`} value={ack} onChange={(e) => setAck(e.target.value)} autoComplete="off" aria-describedby={`${id}-ack-hint`} />
            <p id={`${id}-ack-hint`} className="text-xs text-muted-foreground">The acknowledgement is recorded on the deployment.</p>
          </div>
        ) : null}

        <div className="grid gap-3 sm:grid-cols-2">
          <Field id={`${id}-capital`} label="Capital (account currency)" error={errs.capital ?? (!capitalOk ? "Enter an amount above 0." : null)}>
            <Input id={`${id}-capital`} type="number" min={1} step="any" inputMode="decimal" value={capital} onChange={(e) => setCapital(e.target.value)} />
          </Field>
          <div className="grid gap-1.5">
            <Label htmlFor={`${id}-account`}>Broker account</Label>
            {accounts.isPending ? (
              <p className="text-sm text-muted-foreground">Loading accounts…</p>
            ) : envAccounts.length ? (
              <select id={`${id}-account`} value={accountId} onChange={(e) => setAccountId(e.target.value)} className="h-9 rounded-md border border-input bg-background px-2 text-sm" data-testid="account-picker">
                {envAccounts.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} · {a.venue} · {a.base_currency}
                  </option>
                ))}
              </select>
            ) : (
              <p className="text-sm text-muted-foreground" data-testid="no-account">
                No {mode} account yet{mode === "paper" ? ": create one below (or deploy and the default one is made)." : "."}
              </p>
            )}
            {errs.account_id ? <p className="text-xs font-medium text-destructive">{errs.account_id}</p> : null}
          </div>
        </div>
        {accounts.isError ? <ProblemAlert error={accounts.error} title="Could not load your broker accounts" /> : null}
        {mode === "paper" && accounts.data && envAccounts.length === 0 ? (
          <div className="grid gap-2 rounded-lg border border-dashed p-3" data-testid="create-paper-account">
            <p className="text-sm font-medium">New paper account</p>
            <div className="grid gap-2 sm:grid-cols-[1fr_1fr_auto] sm:items-end">
              <Field id={`${id}-new-name`} label="Name">
                <Input id={`${id}-new-name`} value={newName} onChange={(e) => setNewName(e.target.value)} />
              </Field>
              <Field id={`${id}-new-cash`} label="Starting cash">
                <Input id={`${id}-new-cash`} type="number" min={1} value={newCash} onChange={(e) => setNewCash(e.target.value)} />
              </Field>
              <Button variant="outline" onClick={() => createAccount.mutate()} disabled={createAccount.isPending} data-testid="create-account">
                {createAccount.isPending ? "Creating…" : "Create"}
              </Button>
            </div>
            {createAccount.error ? <ProblemAlert error={createAccount.error} /> : null}
          </div>
        ) : null}

        <fieldset className="grid gap-2">
          <legend className="mb-1 text-sm font-medium">Review of targets</legend>
          <div className="grid gap-2 sm:grid-cols-2">
            <label className={radioCls}>
              <input type="radio" name={`${id}-review`} checked={review === "auto"} onChange={() => setReview("auto")} className="accent-[var(--primary)]" />
              Automatic — orders follow each target
            </label>
            <label className={radioCls}>
              <input type="radio" name={`${id}-review`} checked={review === "manual"} onChange={() => setReview("manual")} className="accent-[var(--primary)]" data-testid="review-manual" />
              Manual — I approve each target
            </label>
          </div>
        </fieldset>

        <label className="flex items-start gap-2 text-sm">
          <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} className="mt-0.5 size-4 accent-[var(--primary)]" />
          <span>
            Dry run <span className="text-muted-foreground">— everything but the final submission; orders are logged, not sent</span>
          </span>
        </label>

        {mode === "paper" ? (
          <fieldset className="grid gap-2 rounded-lg border p-3">
            <legend className="px-1 text-sm font-medium">Replay period (offline)</legend>
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={replay} onChange={(e) => setReplay(e.target.checked)} className="size-4 accent-[var(--primary)]" data-testid="replay-toggle" />
              Step through historical bars on a replay clock (labelled “replay” everywhere)
            </label>
            {replay ? (
              <div className="grid gap-2 sm:grid-cols-3">
                <Field id={`${id}-rs`} label="From" error={errs.start}>
                  <Input id={`${id}-rs`} type="date" value={replayStart} onChange={(e) => setReplayStart(e.target.value)} />
                </Field>
                <Field id={`${id}-re`} label="To" error={errs.end}>
                  <Input id={`${id}-re`} type="date" value={replayEnd} onChange={(e) => setReplayEnd(e.target.value)} />
                </Field>
                <Field id={`${id}-bps`} label="Bars per second" error={errs.bars_per_second}>
                  <Input id={`${id}-bps`} type="number" min={1} value={bps} onChange={(e) => setBps(e.target.value)} />
                </Field>
              </div>
            ) : (
              <p className="text-xs text-muted-foreground">Without a replay the deployment trades each new bar as it closes.</p>
            )}
          </fieldset>
        ) : null}

        {deploy.error ? <ProblemAlert error={deploy.error} title="The deployment was refused" /> : null}
        <div className="flex flex-wrap justify-end gap-2">
          <Button variant="outline" onClick={() => onOpenChange(false)}>
            Cancel
          </Button>
          <Button variant={live ? "destructive" : "default"} disabled={!canSubmit} onClick={() => deploy.mutate()} data-testid="deploy-submit">
            <Rocket /> {deploy.isPending ? "Deploying…" : live ? "Go LIVE" : dryRun ? "Deploy to paper (dry run)" : "Deploy to paper"}
          </Button>
        </div>
      </DialogContent>
    </Dialog>
  );
}

export default DeployDialog;
