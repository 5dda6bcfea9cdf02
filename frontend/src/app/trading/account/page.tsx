"use client";
import * as React from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { PageHeader } from "@/components/layout/app-shell";
import { EmptyState, ProblemAlert } from "@/components/problem";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/progress";
import { EnvBadge, EnvFrame, Money } from "@/components/trading/env";
import { ExceptionsInbox } from "@/components/trading/exceptions-inbox";
import { PositionsTable, groupPositions } from "@/components/trading/positions";
import { ReconcilePanel } from "@/components/trading/reconcile-panel";
import { BreakerMeters } from "@/components/trading/risk-meters";
import { TradingShell, useLive } from "@/components/trading/trading-shell";
import { num, tk, trading, type BrokerAccount } from "@/lib/api/trading";
import { fmtDateTime, humanize } from "@/lib/format";
import { cn } from "@/lib/utils";

function AccountView({ account }: { account: BrokerAccount }) {
  const { poll } = useLive();
  const risk = useQuery({ queryKey: [...tk.account(account.id), "risk"], queryFn: () => trading.risk(account.id), refetchInterval: poll });
  const positions = useQuery({ queryKey: [...tk.account(account.id), "positions"], queryFn: () => trading.positions(account.id), refetchInterval: poll });
  const exceptions = useQuery({ queryKey: [...tk.account(account.id), "exceptions"], queryFn: () => trading.exceptions(account.id), refetchInterval: poll });
  const [auditCursors, setAuditCursors] = React.useState<string[]>([]);
  const auditCursor = auditCursors[auditCursors.length - 1] ?? null;
  const audit = useQuery({ queryKey: [...tk.account(account.id), "audit", auditCursor], queryFn: () => trading.audit(account.id, auditCursor) });
  const r = risk.data;
  const groups = groupPositions(positions.data ?? []);
  const ccy = account.base_currency.length === 3 ? account.base_currency : "USD";
  return (
    <EnvFrame env={account.environment} label="this account trades real money">
      <PageHeader
        title={account.name}
        description={
          <span className="inline-flex flex-wrap items-center gap-2">
            <EnvBadge env={account.environment} /> <span>{account.venue}</span> · <span>{account.base_currency}</span>
            {account.has_credentials ? <Badge variant="outline">credentials stored</Badge> : null}
          </span>
        }
      />
      <div className="grid grid-cols-[minmax(0,1fr)] gap-4">
        <dl className="grid grid-cols-2 gap-3 rounded-xl border bg-card p-4 text-sm sm:grid-cols-4" data-testid="balances">
          {(
            [
              ["Equity", num(r?.equity)],
              ["Start of day", num(r?.day_start_equity)],
              ["Start of week", num(r?.week_start_equity)],
              ["Peak", num(r?.peak_equity)],
            ] as const
          ).map(([k, v]) => (
            <div key={k}>
              <dt className="text-xs text-muted-foreground">{k}</dt>
              <dd className="font-medium">
                <Money v={v} currency={ccy} />
              </dd>
            </div>
          ))}
          {r?.killed_at ? (
            <div className="col-span-full text-xs text-destructive">
              <dt className="inline font-semibold">Killed </dt>
              <dd className="inline">
                {fmtDateTime(r.killed_at)}
                {r.reason ? `: ${r.reason}` : ""}
                {r.flatten_latched ? " · flatten sent" : ""}
              </dd>
            </div>
          ) : null}
        </dl>
        {risk.isError ? <ProblemAlert error={risk.error} /> : null}
        <div className="grid grid-cols-[minmax(0,1fr)] gap-4 lg:grid-cols-2">
          <Card className="min-w-0">
            <CardContent className="pt-4 sm:pt-5">{r ? <BreakerMeters risk={r} /> : <Skeleton className="h-32 w-full" />}</CardContent>
          </Card>
          <Card className="min-w-0">
            <CardContent className="pt-4 sm:pt-5">
              {exceptions.data ? <ExceptionsInbox items={exceptions.data.items} /> : exceptions.isError ? <ProblemAlert error={exceptions.error} /> : <Skeleton className="h-32 w-full" />}
            </CardContent>
          </Card>
        </div>
        <Card className="min-w-0">
          <CardHeader className="pb-2">
            <CardTitle>Positions by deployment</CardTitle>
          </CardHeader>
          <CardContent className="grid gap-4" data-testid="account-positions">
            {positions.isError ? <ProblemAlert error={positions.error} /> : null}
            {positions.data && !groups.length ? <p className="text-sm text-muted-foreground">No positions.</p> : null}
            {groups.map((g) => (
              <div key={g.key} className="grid gap-1" data-testid="position-group" data-deployment={g.deploymentId ?? "unattributed"}>
                <h3 className="text-sm font-medium">
                  {g.deploymentId ? (
                    <>
                      Deployment{" "}
                      <Link className="text-primary underline" href={`/trading/deployment/?id=${encodeURIComponent(g.deploymentId)}`}>
                        {g.deploymentId.slice(0, 8)}
                      </Link>
                    </>
                  ) : (
                    <>
                      <Badge variant="warning">Unattributed</Badge> <span className="text-xs font-normal text-muted-foreground">made outside the platform or not yet re-attributed</span>
                    </>
                  )}
                </h3>
                <PositionsTable positions={g.items} caption={g.deploymentId ? `Positions of deployment ${g.deploymentId}` : "Unattributed positions"} />
              </div>
            ))}
          </CardContent>
        </Card>
        <Card className="min-w-0">
          <CardContent className="pt-4 sm:pt-5">
            <ReconcilePanel accountId={account.id} />
          </CardContent>
        </Card>
        <Card className="min-w-0">
          <CardHeader className="pb-2">
            <CardTitle className="flex flex-wrap items-center gap-2">
              Audit log{" "}
              {audit.data ? (
                <Badge variant={audit.data.verified ? "success" : "destructive"} data-testid="audit-verified">
                  {audit.data.verified ? "hash chain verified" : "hash chain BROKEN"}
                </Badge>
              ) : null}
            </CardTitle>
          </CardHeader>
          <CardContent>
            {audit.isError ? <ProblemAlert error={audit.error} /> : null}
            <ol className="grid max-h-96 gap-1 overflow-y-auto text-sm" data-testid="audit-log" tabIndex={0} aria-label="Audit log entries">
              {(audit.data?.items ?? []).map((e) => (
                  <li key={e.seq} className="flex min-w-0 flex-wrap gap-x-2 border-b py-1 last:border-0">
                    <span className="tabular text-xs text-muted-foreground">#{e.seq} {fmtDateTime(e.at)}</span>
                    <span className="font-medium">{humanize(e.kind.replace(/\./g, " "))}</span>
                    <span className={cn("min-w-0 truncate text-xs text-muted-foreground")}>
                      by {e.actor.length > 12 ? "you" : e.actor}
                      {typeof e.record.reason === "string" ? ` · ${e.record.reason}` : ""}
                    </span>
                  </li>
                ))}
            </ol>
            <div className="mt-2 flex flex-wrap items-center gap-2 text-sm">
              <span className="text-xs text-muted-foreground">In chain order, 100 entries a page.</span>
              {auditCursors.length ? (
                <button type="button" className="text-primary underline" onClick={() => setAuditCursors((c) => c.slice(0, -1))}>
                  ← Earlier
                </button>
              ) : null}
              {audit.data?.next_cursor ? (
                <button type="button" className="text-primary underline" onClick={() => setAuditCursors((c) => [...c, audit.data!.next_cursor!])} data-testid="audit-next">
                  Later →
                </button>
              ) : null}
            </div>
          </CardContent>
        </Card>
      </div>
    </EnvFrame>
  );
}

function View() {
  const id = useSearchParams().get("id");
  const accounts = useQuery({ queryKey: tk.accounts, queryFn: trading.accounts });
  const list = accounts.data?.items ?? [];
  const account = list.find((a) => a.id === id) ?? list.find((a) => a.environment === "paper") ?? list[0];
  return (
    <TradingShell title="Account" accountId={account?.id ?? null}>
      {list.length > 1 ? (
        <nav aria-label="Accounts" className="mb-3 flex flex-wrap gap-2">
          {list.map((a) => (
            <Link
              key={a.id}
              href={`/trading/account/?id=${encodeURIComponent(a.id)}`}
              aria-current={a.id === account?.id ? "page" : undefined}
              className={cn("inline-flex items-center gap-2 rounded-md border px-3 py-1.5 text-sm", a.id === account?.id && "bg-accent font-medium")}
            >
              <EnvBadge env={a.environment} /> {a.name}
            </Link>
          ))}
        </nav>
      ) : null}
      {accounts.isPending ? <Skeleton className="h-64 w-full" /> : null}
      {accounts.isError ? <ProblemAlert error={accounts.error} /> : null}
      {accounts.data && !account ? (
        <EmptyState title="No broker account yet">The first deployment to paper makes one; or deploy from a backtest and create it in the dialog.</EmptyState>
      ) : null}
      {account ? <AccountView account={account} /> : null}
    </TradingShell>
  );
}

export default function AccountPage() {
  return (
    <React.Suspense fallback={<Skeleton className="h-96 w-full" />}>
      <View />
    </React.Suspense>
  );
}
