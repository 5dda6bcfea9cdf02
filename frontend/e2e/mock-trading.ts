/**
 * Trading fixtures for the "ui" project, shaped like the gateway's trading contracts
 * (schema.d.ts): a paper deployment mid-replay, a live one in manual review with a proposed
 * target, paper and live accounts, positions (attributed + unattributed), an open exception.
 * State changes (kill, re-arm, approve, pause, deploy, acknowledge) persist for the page's life.
 */
export const PAPER_DEP = "4fc09b66-6bcd-4733-a65e-3dcf52721dce";
export const LIVE_DEP = "9b20a104-853f-4cd3-9e40-a56deb7230d7";
const SHORT_P = PAPER_DEP.replace(/-/g, "").slice(0, 16);
const SHORT_L = LIVE_DEP.replace(/-/g, "").slice(0, 16);

const limits = { max_position_pct: 5, max_gross_exposure_pct: 30, daily_loss_limit_pct: 2, max_order_notional: null, max_orders_per_minute: 60, price_band_pct: 10, daily_halt_pct: 3, weekly_halt_pct: 7, drawdown_kill_pct: 15, max_consecutive_losses: 5, reconcile_tolerance: "0" };
const ACCOUNTS = [
  { id: "acc-paper", name: "Paper", venue: "paper", environment: "paper", base_currency: "USD", has_credentials: false, risk_limits: limits, created_at: "2026-12-05T12:00:00Z" },
  { id: "acc-live", name: "IBKR live", venue: "ibkr", environment: "live", base_currency: "USD", has_credentials: true, risk_limits: limits, created_at: "2026-12-05T12:01:00Z" },
];

function dep(id: string, env: "paper" | "live", over: Record<string, unknown> = {}) {
  return {
    id, strategy_id: "strat-1", version: 2, spec_hash: "35929514e698", backtest_id: "run-a-0001", account_id: env === "paper" ? "acc-paper" : "acc-live", environment: env, venue: env === "paper" ? "paper" : "ibkr",
    status: "running", risk_state: "active", capital: "10000", dry_run: false, review_mode: env === "live" ? "manual" : "auto", timeframe: "1d", symbols: ["SAMPLE:AAPL"],
    gates: env === "live" ? { profile: "strict", passed: true, failing: [], acknowledged: false } : { profile: "strict", passed: false, failing: ["min_trades", "out_of_sample"], acknowledged: true },
    replay: env === "paper" ? { start: "2005-01-03", end: "2012-12-31", bars_per_second: 50, cursor: "2006-03-15T05:00:00Z", bars_done: 302, bars_total: 2013, finished: false, label: "replay" } : null,
    expires_at: null, last_bar_at: env === "paper" ? "2006-03-15T05:00:00Z" : "2026-12-04T21:00:00Z", created_at: "2026-12-05T12:05:53Z", updated_at: "2026-12-05T12:09:00Z",
    ...over,
  };
}

function curve(start: number, days: number, seed: number) {
  const out: { ts: string; equity: number; realized_pnl: number; unrealized_pnl: number; fees: number }[] = [];
  let eq = 10000, real = 0;
  for (let i = 0, t = start; out.length < days; t += 86400_000, i++) {
    const d = new Date(t).getUTCDay();
    if (d === 0 || d === 6) continue;
    const step = Math.sin((i + seed) / 9) * 40 + (i % 17 === 0 ? 60 : 8);
    eq += step;
    if (i % 23 === 0) real += step * 3;
    out.push({ ts: new Date(t).toISOString().replace(".000Z", "Z"), equity: +eq.toFixed(2), realized_pnl: +real.toFixed(2), unrealized_pnl: +(eq - 10000 - real).toFixed(2), fees: +(i * 0.12).toFixed(2) });
  }
  return out;
}

interface Target { id: string; deployment_id: string; bar_at: string; review: string; lines: Record<string, string>[]; signal: Record<string, string>; created_at: string }
function targets(depId: string, count: number, startMs: number, liveProposed: boolean): Target[] {
  const out: Target[] = [];
  let k = 0;
  for (let t = startMs; out.length < count; t += 86400_000) {
    const d = new Date(t).getUTCDay();
    if (d === 0 || d === 6) continue;
    k++;
    const entry = k === 3;
    out.push({
      id: `${depId.slice(0, 4)}-t${k}`, deployment_id: depId, bar_at: new Date(t).toISOString().replace(".000Z", "Z"),
      review: liveProposed && out.length === count - 1 ? "proposed" : "applied",
      lines: [{ symbol: "SAMPLE:AAPL", signal_symbol: "SAMPLE:AAPL", target_qty: k >= 3 ? "100" : "0", reference_price: (4.5 + k * 0.02).toFixed(4), reason: entry ? "entry" : k > 3 ? "hold" : "flat" }],
      signal: { "SAMPLE:AAPL": entry ? "entry" : k > 3 ? "hold" : "flat" },
      created_at: new Date(Date.UTC(2026, 11, 5, 12, 6, k)).toISOString(),
    });
  }
  return out.reverse(); // newest first, like the API
}

export function tradingState() {
  const paperCurve = curve(Date.UTC(2005, 0, 3), 302, 1);
  const liveCurve = curve(Date.UTC(2026, 10, 2), 24, 5);
  return {
    deployments: [dep(LIVE_DEP, "live"), dep(PAPER_DEP, "paper")] as ReturnType<typeof dep>[],
    killed: { "acc-paper": false, "acc-live": false } as Record<string, boolean>,
    flattenPolls: 0,
    targets: { [PAPER_DEP]: targets(PAPER_DEP, 12, Date.UTC(2006, 1, 27), false), [LIVE_DEP]: targets(LIVE_DEP, 5, Date.UTC(2026, 10, 28), true) } as Record<string, ReturnType<typeof targets>>,
    pnl: { [PAPER_DEP]: paperCurve, [LIVE_DEP]: liveCurve } as Record<string, ReturnType<typeof curve>>,
    fills: [
      { id: "f1", order_id: "o1", client_order_id: `p${SHORT_P}-3-0`, execution_id: "paper-exec-0001", symbol: "SAMPLE:AAPL", side: "buy", qty: "100", price: "4.6100", fees: "1.0000", ts: "2006-03-03T14:30:00Z" },
    ] as Record<string, string>[],
    exceptions: [
      { id: "ex-1", account_id: "acc-paper", deployment_id: null, kind: "position_break", severity: "critical", status: "open", detail: "The broker holds 10 SAMPLE:MSFT we have no record of (unattributed).", created_at: "2026-12-05T12:10:00Z", resolved_at: null, data: {} },
      { id: "ex-2", account_id: "acc-paper", deployment_id: PAPER_DEP, kind: "breaker_tripped", severity: "warning", status: "acknowledged", detail: "Daily loss breaker tripped at −3.1 %; halted until the next session.", created_at: "2026-12-05T12:08:00Z", resolved_at: null, data: {} },
    ] as Record<string, unknown>[],
    deployed: [] as unknown[],
  };
}
export type TradingState = ReturnType<typeof tradingState>;

function orders(s: TradingState, depId: string) {
  const short = depId === PAPER_DEP ? SHORT_P : SHORT_L;
  const env = depId === PAPER_DEP ? "p" : "l";
  const base = { deployment_id: depId, symbol: "SAMPLE:AAPL", type: "market", limit_price: null, stop_price: null, dry_run: false, reduce_only: false, updated_at: "2026-12-05T12:06:10Z" };
  const out: Record<string, unknown>[] = [
    { ...base, id: "o1", client_order_id: `${env}${short}-3-0`, side: "buy", qty: "100", filled_qty: "100", avg_fill_price: "4.6100", state: "filled", risk_decision: "clip", reason: "open", created_at: "2026-12-05T12:06:04Z" },
    { ...base, id: "o2", client_order_id: `${env}${short}-3-1`, side: "sell", type: "stop", stop_price: "4.3795", qty: "100", filled_qty: "0", avg_fill_price: null, state: "cancelled", risk_decision: "allow", reason: "protective_stop", reduce_only: true, created_at: "2026-12-05T12:06:05Z" },
    { ...base, id: "o3", client_order_id: `${env}${short}-4-1`, side: "sell", type: "stop", stop_price: "4.4001", qty: "100", filled_qty: "0", avg_fill_price: null, state: "accepted", risk_decision: "allow", reason: "protective_stop", reduce_only: true, created_at: "2026-12-05T12:06:06Z" },
  ];
  if (depId === PAPER_DEP && s.killed["acc-paper"])
    out.push({ ...base, id: "o4", client_order_id: `${env}${short}-12-0`, side: "sell", qty: "100", filled_qty: s.flattenPolls > 1 ? "100" : "0", avg_fill_price: s.flattenPolls > 1 ? "4.7000" : null, state: s.flattenPolls > 1 ? "filled" : "accepted", risk_decision: "allow", reason: "kill_flatten", reduce_only: true, created_at: "2026-12-05T12:20:00Z" });
  return out;
}

function positions(s: TradingState, accountId: string) {
  const flat = s.killed[accountId] && s.flattenPolls > 1;
  const p = (deployment_id: string | null, qty: string, symbol = "SAMPLE:AAPL") => ({ account_id: accountId, attributed: deployment_id !== null, deployment_id, symbol, qty, avg_price: "4.6100", last_price: "4.8800", market_value: String(Number(qty) * 4.88), multiplier: "1", realized_pnl: "412.50", unrealized_pnl: String(+(Number(qty) * 0.27).toFixed(2)) });
  if (accountId === "acc-live") return [p(LIVE_DEP, flat ? "0" : "40")];
  return [p(PAPER_DEP, flat ? "0" : "100"), p(null, "10", "SAMPLE:MSFT")];
}

function risk(s: TradingState, accountId: string) {
  const killed = s.killed[accountId];
  return {
    account_id: accountId, environment: accountId === "acc-live" ? "live" : "paper", state: killed ? "killed" : "active", reason: killed ? "e2e: stop everything" : null,
    equity: "1004210.55", peak_equity: "1009000.00", day_start_equity: "1005000.00", week_start_equity: "1001000.00",
    breakers: [
      { name: "daily_loss", threshold_pct: 3, value_pct: 0.08, tripped: false },
      { name: "weekly_loss", threshold_pct: 7, value_pct: 2.4, tripped: false },
      { name: "drawdown", threshold_pct: 15, value_pct: 11.2, tripped: false },
      { name: "consecutive_losses", threshold_pct: 5, value_pct: 2, tripped: false },
    ],
    killed_at: killed ? "2026-12-05T12:20:00Z" : null, flatten_latched: killed, limits,
    overrides: { account_id: accountId, account: null, instruments: {}, deployments: {}, allow_list: null, items: [] },
  };
}

const AUDIT = Array.from({ length: 12 }, (_, i) => ({
  seq: i + 2, at: `2026-12-05T12:0${Math.min(9, i)}:00Z`, actor: i % 3 ? "runner" : "ed74429e-b4d7-42b8-ba2b-98d68a59b5e4",
  kind: ["account.created", "deployment.created", "target.snapshot", "risk.allow", "order.new", "broker.request", "broker.response", "broker.execution", "target.snapshot", "risk.clip", "order.new", "broker.request"][i],
  record: i === 1 ? { reason: "acknowledged failing gates" } : {}, prev_hash: "0".repeat(64), hash: "a".repeat(64),
}));

/** Answers a trading route, or null when the path is not one. */
export function tradingRoute(s: TradingState, method: string, path: string, url: URL, body: unknown): { status: number; body: unknown } | null {
  const ok = (b: unknown, status = 200) => ({ status, body: b });
  const page = (items: unknown[]) => ok({ items, next_cursor: null, unavailable: [] });
  const acct = url.searchParams.get("account_id") ?? (body as { account_id?: string } | null)?.account_id ?? "acc-paper";
  if (path === "/trading/accounts" && method === "GET") return page(ACCOUNTS);
  if (path === "/trading/accounts" && method === "POST") return ok({ ...ACCOUNTS[0], id: "acc-new", name: (body as { name: string }).name }, 201);
  if (path === "/trading/risk") return ok(risk(s, acct));
  if (path === "/trading/positions") {
    if (s.killed[acct]) s.flattenPolls++;
    return ok(positions(s, acct));
  }
  if (path === "/trading/kill") {
    s.killed[acct] = true;
    s.flattenPolls = 0;
    s.deployments = s.deployments.map((d) => (d.account_id === acct ? { ...d, risk_state: "killed" } : d));
    return ok({ account_id: acct, state: "killed", flatten_orders: [`p${SHORT_P}-12-0`] });
  }
  if (path === "/trading/rearm") {
    s.killed[acct] = false;
    s.deployments = s.deployments.map((d) => (d.account_id === acct ? { ...d, risk_state: "active" } : d));
    return ok(risk(s, acct));
  }
  if (path === "/trading/reconcile")
    return ok({ account_id: acct, at: "2026-12-05T12:30:00Z", exceptions_opened: 1, halted: true, items: [
      { kind: "matched", symbol: "SAMPLE:AAPL", qty: "100", detail: "100 SAMPLE:AAPL held at the broker and here", halts: false, client_order_id: null, execution_id: null },
      { kind: "missing_fill_unattributed", symbol: "SAMPLE:MSFT", qty: "10", detail: "execution paper-x-77 at the broker is none of our orders: booked to the unattributed bucket", halts: true, client_order_id: null, execution_id: "paper-x-77" },
    ] });
  if (path === "/trading/exceptions") return page(s.exceptions.filter((e) => e.account_id === acct));
  const ex = /^\/trading\/exceptions\/([^/]+)\/(acknowledge|resolve)$/.exec(path);
  if (ex) {
    s.exceptions = s.exceptions.map((e) => (e.id === ex[1] ? { ...e, status: ex[2] === "resolve" ? "resolved" : "acknowledged", resolved_at: ex[2] === "resolve" ? "2026-12-05T12:31:00Z" : null } : e));
    return ok(s.exceptions.find((e) => e.id === ex[1]));
  }
  if (path === "/trading/audit") return ok({ items: AUDIT, next_cursor: null, verified: true });
  if (path === "/deployments" && method === "GET") return page(s.deployments);
  if (path === "/deployments" && method === "POST") {
    s.deployed.push(body);
    const d = dep("77777777-8888-4999-aaaa-bbbbbbbbbbbb", "paper", { status: "pending", replay: { start: "2005-01-03", end: "2012-12-31", bars_per_second: 50, cursor: null, bars_done: 0, bars_total: 0, finished: false, label: "replay" } });
    s.deployments.unshift(d);
    s.targets[d.id] = [];
    s.pnl[d.id] = [];
    return ok(d, 201);
  }
  const m = /^\/deployments\/([^/]+)(?:\/(.+))?$/.exec(path);
  if (m) {
    const d = s.deployments.find((x) => x.id === m[1]);
    if (!d) return ok({ title: "Not Found", status: 404, detail: "No such deployment." }, 404);
    const rest = m[2] ?? "";
    if (!rest) return ok(d);
    if (rest === "pause" || rest === "resume" || rest === "stop") {
      Object.assign(d, { status: rest === "pause" ? "paused" : rest === "resume" ? "running" : "stopped" });
      return ok(d);
    }
    if (rest === "targets") {
      const limit = Number(url.searchParams.get("limit") ?? 100);
      return page(s.targets[d.id].slice(0, limit));
    }
    const rv = /^targets\/([^/]+)\/(approve|reject)$/.exec(rest);
    if (rv) {
      const t = s.targets[d.id].find((x) => x.id === rv[1])!;
      t.review = rv[2] === "approve" ? "approved" : "rejected";
      return ok(t);
    }
    if (rest === "orders") return page(orders(s, d.id));
    if (rest === "fills") return page(d.id === PAPER_DEP ? s.fills : []);
    if (rest === "positions") return ok(positions(s, d.account_id).filter((p) => p.deployment_id === d.id));
    if (rest === "pnl") {
      const c = s.pnl[d.id];
      const last = c[c.length - 1];
      return ok({ deployment_id: d.id, capital: "10000", equity: String(last?.equity ?? 10000), realized_pnl: String(last?.realized_pnl ?? 0), unrealized_pnl: String(last?.unrealized_pnl ?? 0), fees: String(last?.fees ?? 0), total_return_pct: last ? +((last.equity / 10000 - 1) * 100).toFixed(2) : 0, curve: c });
    }
  }
  return null;
}
