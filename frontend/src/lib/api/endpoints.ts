import { api, setAccessToken, streamRequest } from "@/lib/api/client";
import type {
  BacktestRun,
  ChatReply,
  Insight,
  OHLCVFrame,
  Page,
  Problem,
  StrategySpec,
  StrategySummary,
  StrategyVersion,
  SymbolInfo,
  User,
  UserSettings,
  UserSettingsUpdate,
  BacktestRunSummary,
  WalkForwardConfig,
} from "@/lib/api/types";

const q = (params: Record<string, string | number | null | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") s.set(k, String(v));
  const str = s.toString();
  return str ? `?${str}` : "";
};

/** Lists may come as {items, next_cursor} or a bare array. */
function asPage<T>(v: Page<T> | T[]): Page<T> {
  return Array.isArray(v) ? { items: v, next_cursor: null } : { items: v.items ?? [], next_cursor: v.next_cursor ?? null };
}

export const auth = {
  register: (email: string, password: string) =>
    api<unknown>("/auth/register", { method: "POST", body: { email, password }, noRefresh: true }),
  async login(email: string, password: string) {
    const r = await api<{ access_token: string; token_type: string; expires_in: number }>("/auth/login", {
      method: "POST",
      body: { email, password },
      noRefresh: true,
    });
    setAccessToken(r.access_token);
    return r;
  },
  async logout() {
    try {
      await api<unknown>("/auth/logout", { method: "POST", noRefresh: true });
    } finally {
      setAccessToken(null);
    }
  },
  me: () => api<User>("/users/me"),
  saveSettings: (s: UserSettingsUpdate) => api<User | UserSettings>("/users/me/settings", { method: "PATCH", body: s }),
};

export type ChatEvent =
  | { type: "token"; text: string }
  | { type: "result"; reply: ChatReply }
  | { type: "error"; problem: Problem };

export async function* chatStrategy(message: string, conversationId: string | null, signal?: AbortSignal): AsyncGenerator<ChatEvent> {
  const body: Record<string, unknown> = { message };
  if (conversationId) body.conversation_id = conversationId;
  for await (const ev of streamRequest("/chat/strategy", body, signal)) {
    let data: unknown = null;
    try {
      data = ev.data ? JSON.parse(ev.data) : null;
    } catch {
      data = ev.data;
    }
    if (ev.event === "token") {
      const text = typeof data === "string" ? data : ((data as { text?: string } | null)?.text ?? "");
      yield { type: "token", text };
    } else if (ev.event === "result") {
      yield { type: "result", reply: data as ChatReply };
    } else if (ev.event === "error") {
      const p = (data ?? {}) as Problem;
      yield { type: "error", problem: { ...p, title: p.title ?? "Chat failed", status: p.status ?? 500 } };
    }
  }
}

export const strategies = {
  list: async (cursor?: string | null) => asPage(await api<Page<StrategySummary> | StrategySummary[]>(`/strategies${q({ cursor, limit: 50 })}`)),
  get: (id: string) => api<StrategySummary>(`/strategies/${encodeURIComponent(id)}`),
  save: (id: string, spec: StrategySpec, name?: string) =>
    api<StrategySummary>(`/strategies/${encodeURIComponent(id)}`, { method: "PUT", body: name ? { spec, name } : { spec } }),
  remove: (id: string) => api<void>(`/strategies/${encodeURIComponent(id)}`, { method: "DELETE" }),
  versions: async (id: string) =>
    asPage(await api<Page<StrategyVersion> | StrategyVersion[]>(`/strategies/${encodeURIComponent(id)}/versions`)).items,
};

/** What to run, plus an optional walk-forward (re-optimise in-sample, test out-of-sample). */
export type RunRequest = ({ strategy_id: string } | { spec: StrategySpec } | { code: string }) & { walk_forward?: WalkForwardConfig };

export const backtests = {
  run: (req: RunRequest) => api<{ id: string }>("/backtest/run", { method: "POST", body: req }),
  get: (id: string) => api<BacktestRun>(`/backtest/${encodeURIComponent(id)}`),
  list: async (cursor?: string | null) => asPage(await api<Page<BacktestRunSummary> | BacktestRunSummary[]>(`/backtests${q({ cursor, limit: 50, sort: "-created_at" })}`)),
  eventsUrl: (id: string) => `/api/v1/backtest/${encodeURIComponent(id)}/events`,
  cancel: (id: string) => api<BacktestRun>(`/backtest/${encodeURIComponent(id)}/cancel`, { method: "POST" }),
};

export const market = {
  data: (symbol: string, timeframe = "1d", start?: string, end?: string) =>
    api<OHLCVFrame>(`/market/data${q({ symbol, timeframe, start, end })}`),
  symbols: async (query: string) => {
    const r = await api<SymbolInfo[] | Page<SymbolInfo>>(`/market/symbols${q({ q: query })}`);
    return Array.isArray(r) ? r : r.items;
  },
  insight: (symbol: string) => api<Insight>(`/market/insight${q({ symbol })}`),
  upload: (form: FormData) => api<unknown>("/market/uploads", { method: "POST", body: form }),
};

export const schemas = {
  strategy: () => api<object>("/schemas/strategy"),
};
