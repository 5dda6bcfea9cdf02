"use client";
import * as React from "react";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { AppShell } from "@/components/layout/app-shell";
import { KillSwitch } from "@/components/trading/kill-switch";
import { tk, trading } from "@/lib/api/trading";
import { pollFor, useTradingLive, type LiveStatus } from "@/lib/trading-live";
import { cn } from "@/lib/utils";

const LiveCtx = React.createContext<{ status: LiveStatus; poll: number }>({ status: "connecting", poll: 4000 });
export const useLive = () => React.useContext(LiveCtx);

function LiveDot({ status }: { status: LiveStatus }) {
  const text = status === "live" ? "Live updates on" : status === "connecting" ? "Connecting live updates…" : "Live updates off: refreshing every few seconds";
  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-muted-foreground" data-testid="live-status" data-status={status} role="status">
      <span aria-hidden className={cn("size-2 rounded-full", status === "live" ? "bg-success" : status === "connecting" ? "bg-warning" : "bg-muted-foreground")} />
      {text}
    </span>
  );
}

function KillSwitches({ accountId, poll }: { accountId?: string | null; poll: number }) {
  const accounts = useQuery({ queryKey: tk.accounts, queryFn: trading.accounts, refetchInterval: poll * 4 });
  const list = (accounts.data?.items ?? []).filter((a) => !accountId || a.id === accountId);
  if (!list.length) return null;
  // live accounts first: the one that matters most is on top
  list.sort((a, b) => (a.environment === b.environment ? a.created_at.localeCompare(b.created_at) : a.environment === "live" ? -1 : 1));
  return (
    <div className="grid gap-2" data-testid="kill-switches">
      {list.map((a) => (
        <KillSwitch key={a.id} account={a} poll={poll} />
      ))}
    </div>
  );
}

const SUBNAV = [
  { href: "/trading/", label: "Deployments" },
  { href: "/trading/account/", label: "Accounts & exceptions" },
];

/** Every trading page: sub-navigation, live-update state and the kill switch(es), always on top. */
export function TradingShell({ title, accountId, children }: { title: string; accountId?: string | null; children: React.ReactNode }) {
  return (
    <AppShell title={title}>
      <TradingFrame accountId={accountId}>{children}</TradingFrame>
    </AppShell>
  );
}

function TradingFrame({ accountId, children }: { accountId?: string | null; children: React.ReactNode }) {
  const status = useTradingLive();
  const poll = pollFor(status);
  const pathname = usePathname();
  const norm = pathname.endsWith("/") ? pathname : `${pathname}/`;
  return (
    <LiveCtx.Provider value={{ status, poll }}>
      <div className="mb-4 grid gap-3">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <nav aria-label="Trading" className="flex flex-wrap gap-1">
            {SUBNAV.map((n) => {
              const active = n.href === "/trading/" ? norm === "/trading/" || norm.startsWith("/trading/deployment/") : norm.startsWith(n.href);
              return (
                <Link key={n.href} href={n.href} aria-current={active ? "page" : undefined} className={cn("rounded-md px-3 py-1.5 text-sm font-medium text-muted-foreground hover:bg-accent hover:text-foreground", active && "bg-accent text-foreground")}>
                  {n.label}
                </Link>
              );
            })}
          </nav>
          <LiveDot status={status} />
        </div>
        <KillSwitches accountId={accountId} poll={poll} />
      </div>
      {children}
    </LiveCtx.Provider>
  );
}
