/**
 * Trading routes through the gateway (`/api/v1/deployments…`, `/api/v1/trading/…`); types from
 * the generated `schema.d.ts`, so a contract change fails `tsc`.
 */
import { api } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

type S = components["schemas"];
export type Deployment = S["Deployment"];
export type DeploymentRequest = S["DeploymentRequest"];
export type BrokerAccount = S["BrokerAccount"];
export type BrokerAccountCreate = S["BrokerAccountCreate"];
export type TargetSnapshot = S["TargetSnapshot"];
export type Order = S["Order"];
export type Fill = S["Fill"];
export type Position = S["Position"];
export type PnL = S["PnL"];
export type RiskState = S["RiskState"];
export type Breaker = S["Breaker"];
export type TradingException = S["TradingException"];
export type KillResult = S["KillResult"];
export type ReconcileReport = S["ReconcileReport"];
export type AuditEntry = S["AuditEntry"];
export type Environment = "paper" | "live";
export type GateResult = S["GateResult"];

interface Paged<T> {
  items: T[];
  next_cursor?: string | null;
  unavailable?: Environment[];
}

const enc = encodeURIComponent;
const q = (params: Record<string, string | number | null | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") s.set(k, String(v));
  const str = s.toString();
  return str ? `?${str}` : "";
};

/** Every page of a cursor-paginated list (bounded: a runaway cursor stops after `max` pages). */
async function all<T>(path: string, params: Record<string, string | number | null | undefined> = {}, max = 50): Promise<Paged<T>> {
  const items: T[] = [];
  let cursor: string | null | undefined = null;
  let unavailable: Environment[] | undefined;
  for (let i = 0; i < max; i++) {
    const page: Paged<T> = await api<Paged<T>>(`${path}${q({ ...params, limit: 100, cursor })}`);
    items.push(...page.items);
    unavailable = page.unavailable ?? unavailable;
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return { items, next_cursor: null, unavailable };
}

export const deployments = {
  list: () => all<Deployment>("/deployments"),
  get: (id: string) => api<Deployment>(`/deployments/${enc(id)}`),
  create: (body: DeploymentRequest) => api<Deployment>("/deployments", { method: "POST", body }),
  control: (id: string, action: "pause" | "resume" | "stop") => api<Deployment>(`/deployments/${enc(id)}/${action}`, { method: "POST" }),
  targets: async (id: string) => (await all<TargetSnapshot>(`/deployments/${enc(id)}/targets`)).items,
  orders: async (id: string) => (await all<Order>(`/deployments/${enc(id)}/orders`)).items,
  fills: async (id: string) => (await all<Fill>(`/deployments/${enc(id)}/fills`)).items,
  positions: (id: string) => api<Position[]>(`/deployments/${enc(id)}/positions`),
  pnl: (id: string) => api<PnL>(`/deployments/${enc(id)}/pnl`),
  review: (id: string, targetId: string, action: "approve" | "reject", reason: string) =>
    api<TargetSnapshot>(`/deployments/${enc(id)}/targets/${enc(targetId)}/${action}`, { method: "POST", body: { reason } }),
};

export const trading = {
  accounts: () => all<BrokerAccount>("/trading/accounts"),
  account: (id: string) => api<BrokerAccount>(`/trading/accounts/${enc(id)}`),
  createAccount: (body: Partial<BrokerAccountCreate> & { name: string }) => api<BrokerAccount>("/trading/accounts", { method: "POST", body }),
  positions: (accountId?: string | null) => api<Position[]>(`/trading/positions${q({ account_id: accountId })}`),
  risk: (accountId?: string | null) => api<RiskState>(`/trading/risk${q({ account_id: accountId })}`),
  kill: (reason: string, accountId?: string | null) => api<KillResult>("/trading/kill", { method: "POST", body: { reason, account_id: accountId ?? null } }),
  rearm: (reason: string, accountId?: string | null) => api<RiskState>("/trading/rearm", { method: "POST", body: { reason, account_id: accountId ?? null } }),
  reconcile: (reason: string, accountId?: string | null) =>
    api<ReconcileReport>("/trading/reconcile", { method: "POST", body: { reason, account_id: accountId ?? null } }),
  exceptions: (accountId?: string | null) => all<TradingException>("/trading/exceptions", { account_id: accountId }),
  exceptionAction: (id: string, action: "acknowledge" | "resolve", reason: string) =>
    api<TradingException>(`/trading/exceptions/${enc(id)}/${action}`, { method: "POST", body: { reason } }),
  /** The audit chain in its own order (oldest first: the route does not sort newest first). */
  audit: (accountId?: string | null, cursor?: string | null) =>
    api<Paged<AuditEntry> & { verified: boolean }>(`/trading/audit${q({ account_id: accountId, limit: 100, cursor })}`),
};

/** Query keys: a live event invalidates by prefix. */
export const tk = {
  all: ["trading"] as const,
  deployments: ["trading", "deployments"] as const,
  deployment: (id: string) => ["trading", "deployment", id] as const,
  accounts: ["trading", "accounts"] as const,
  account: (id: string | null) => ["trading", "account", id ?? "default"] as const,
  /** Targets are many (one per bar): a key of their own, refreshed less often than the rest. */
  targets: (id: string) => ["trading-targets", id] as const,
};

/** Today's P&L from an equity curve: last point minus the last point before today's session (UTC day). */
export function todaysPnl(pnl: PnL | undefined, now = new Date()): number | null {
  const curve = pnl?.curve ?? [];
  if (!curve.length) return null;
  const last = curve[curve.length - 1];
  const day = (last.ts ?? "").slice(0, 10) || now.toISOString().slice(0, 10);
  let before: number | null = null;
  for (const p of curve) if (p.ts.slice(0, 10) < day) before = p.equity;
  const base = before ?? Number(pnl!.capital);
  return last.equity - base;
}

export function totalPnl(pnl: PnL | undefined): number | null {
  if (!pnl) return null;
  return Number(pnl.equity) - Number(pnl.capital);
}

/** `<env letter><deployment>-<snapshot seq>-<leg>` → the snapshot sequence (1-based), if the id is ours. */
export function snapshotSeqOf(clientOrderId: string): number | null {
  const m = /^[a-z][0-9a-f]{16}-(\d+)-(\d+)$/.exec(clientOrderId);
  return m ? Number(m[1]) : null;
}

/** Target snapshots carry no `seq` in the API: it is their 1-based order of creation per deployment. */
export function seqIndex(targets: TargetSnapshot[]): Map<number, TargetSnapshot> {
  const sorted = [...targets].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.bar_at.localeCompare(b.bar_at));
  return new Map(sorted.map((t, i) => [i + 1, t]));
}

export const num = (s: string | number | null | undefined): number | null => {
  if (s === null || s === undefined || s === "") return null;
  const n = typeof s === "number" ? s : Number(s);
  return Number.isFinite(n) ? n : null;
};
