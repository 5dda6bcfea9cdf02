import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page, Route } from "@playwright/test";
import { tradingRoute, tradingState, type TradingState } from "./mock-trading";

/**
 * Fixture answers for every /api/v1 route the UI calls, shaped exactly like the contracts
 * (packages/contracts/schemas). Used by the "ui" project for screenshots and a11y checks.
 */
const HERE = dirname(fileURLToPath(import.meta.url));
const SCHEMA = readFileSync(join(HERE, "../../packages/contracts/schemas/strategy_spec.v1.json"), "utf8");
const SPEC_V1 = JSON.parse(readFileSync(join(HERE, "../tests/fixtures/sma-cross.spec.json"), "utf8"));
const SPEC_V2 = { ...SPEC_V1, risk: { stop_loss: { kind: "percent", percent: 3 } }, filters: [{ kind: "compare", left: { kind: "price", field: "close" }, op: ">", right: { kind: "indicator", id: "trend" } }], indicators: [...SPEC_V1.indicators, { kind: "sma", id: "trend", window: 200 }] };

function rng(seed: number) {
  return () => ((seed = (seed * 1664525 + 1013904223) % 4294967296) / 4294967296);
}

export function makeFrame(symbol = "SAMPLE:AAPL", start = Date.UTC(2005, 0, 3), end = Date.UTC(2012, 11, 31)) {
  const r = rng(7);
  const timestamps: string[] = [], open: number[] = [], high: number[] = [], low: number[] = [], close: number[] = [], volume: number[] = [];
  let p = 40;
  for (let t = start; t <= end; t += 86400_000) {
    const d = new Date(t).getUTCDay();
    if (d === 0 || d === 6) continue;
    const o = p * (1 + (r() - 0.5) * 0.01);
    const c = Math.max(1, o * (1 + (r() - 0.47) * 0.035));
    timestamps.push(new Date(t).toISOString().replace(".000Z", "Z"));
    open.push(+o.toFixed(2));
    close.push(+c.toFixed(2));
    high.push(+(Math.max(o, c) * (1 + r() * 0.012)).toFixed(2));
    low.push(+(Math.min(o, c) * (1 - r() * 0.012)).toFixed(2));
    volume.push(Math.round(2e7 * (0.5 + r())));
    p = c;
  }
  return { symbol, timeframe: "1d", provider: "sample", label: "offline sample: public-domain daily history 2000–2013", adjusted: true, exchange_timezone: "America/New_York", market: "us_equity", timestamps, open, high, low, close, volume, quality: { bars: timestamps.length, issues: [] } };
}

const FRAME = makeFrame();

function sma(xs: number[], n: number) {
  const out: (number | null)[] = [];
  let s = 0;
  xs.forEach((x, i) => {
    s += x;
    if (i >= n) s -= xs[i - n];
    out.push(i >= n - 1 ? s / n : null);
  });
  return out;
}

export function makeResult(stopPct: number) {
  const f = FRAME;
  const fast = sma(f.close, 20), slow = sma(f.close, 50);
  const trades: any[] = [];
  let cash = 10000, units = 0, entryI = -1, entryPx = 0;
  const equity: number[] = [];
  const closeTrade = (i: number, px: number, reason: string) => {
    const pnl = (px - entryPx) * units - 2;
    trades.push({ symbol: f.symbol, direction: "long", entry_time: f.timestamps[entryI], entry_price: entryPx, exit_time: f.timestamps[i], exit_price: +px.toFixed(2), exit_reason: reason, size: units, pnl: +pnl.toFixed(2), return_pct: +((px / entryPx - 1) * 100 - 0.02).toFixed(3), fees: 2, duration_bars: i - entryI, is_open: false });
    cash += units * px - 1;
    units = 0;
  };
  for (let i = 0; i < f.close.length; i++) {
    if (units && f.low[i] <= entryPx * (1 - stopPct / 100)) closeTrade(i, entryPx * (1 - stopPct / 100), "stop_loss");
    else if (units && fast[i - 1]! > slow[i - 1]! && fast[i]! < slow[i]!) closeTrade(i, f.open[Math.min(i + 1, f.close.length - 1)], "signal");
    else if (!units && i > 50 && fast[i - 1]! < slow[i - 1]! && fast[i]! > slow[i]! && i + 1 < f.close.length) {
      entryI = i + 1;
      entryPx = f.open[i + 1];
      units = Math.floor((cash - 1) / entryPx);
      cash -= units * entryPx + 1;
    }
    equity.push(+(cash + units * f.close[i]).toFixed(2));
  }
  if (units) {
    const i = f.close.length - 1;
    trades.push({ symbol: f.symbol, direction: "long", entry_time: f.timestamps[entryI], entry_price: entryPx, exit_time: null, exit_price: null, exit_reason: null, size: units, pnl: +((f.close[i] - entryPx) * units).toFixed(2), return_pct: +((f.close[i] / entryPx - 1) * 100).toFixed(3), fees: 1, duration_bars: i - entryI, is_open: true });
  }
  let peak = -Infinity;
  const dd = equity.map((e) => ((peak = Math.max(peak, e)), +(((e / peak) - 1) * 100).toFixed(3)));
  const closed = trades.filter((t) => !t.is_open);
  const wins = closed.filter((t) => t.pnl > 0);
  const losses = closed.filter((t) => t.pnl <= 0);
  const final = equity[equity.length - 1];
  const years = f.close.length / 252;
  const stats = {
    start: f.timestamps[0], end: f.timestamps[f.timestamps.length - 1], bars: f.close.length, initial_capital: 10000, final_equity: final,
    total_return_pct: (final / 10000 - 1) * 100, cagr_pct: (Math.pow(final / 10000, 1 / years) - 1) * 100, volatility_annual_pct: 18.4,
    sharpe_ratio: stopPct === 5 ? 0.62 : 0.71, sortino_ratio: 0.9, max_drawdown_pct: -Math.min(...dd), longest_drawdown_bars: 412, calmar_ratio: 0.31,
    win_rate_pct: (wins.length / Math.max(1, closed.length)) * 100, profit_factor: wins.reduce((s, t) => s + t.pnl, 0) / Math.max(1e-9, -losses.reduce((s, t) => s + t.pnl, 0)),
    expectancy: closed.reduce((s, t) => s + t.pnl, 0) / Math.max(1, closed.length), expectancy_pct: closed.reduce((s, t) => s + t.return_pct, 0) / Math.max(1, closed.length),
    avg_win_pct: wins.reduce((s, t) => s + t.return_pct, 0) / Math.max(1, wins.length), avg_loss_pct: losses.reduce((s, t) => s + t.return_pct, 0) / Math.max(1, losses.length),
    reward_risk_ratio: 2.1, exposure_pct: 55.2, trade_count: trades.length, trade_p_value: 0.08, total_fees: trades.length * 2,
    benchmark_return_pct: (f.close[f.close.length - 1] / f.close[0] - 1) * 100, alpha_annual_pct: 1.4, beta: 0.55, periods_per_year: 252,
  };
  return {
    summary_stats: stats,
    equity_curve: { timestamps: f.timestamps, values: equity },
    drawdown_curve: { timestamps: f.timestamps, values: dd },
    returns: { timestamps: [], values: [] },
    benchmark_curve: { timestamps: f.timestamps, values: f.close.map((c) => +(c / f.close[0] * 10000).toFixed(2)) },
    trades,
    gates: [
      { name: "min_trades", description: "At least 30 trades for a meaningful sample", threshold: 30, value: trades.length, passed: trades.length >= 30 },
      { name: "min_sharpe", description: "Sharpe ratio of at least 0.5", threshold: 0.5, value: stats.sharpe_ratio, passed: true },
      { name: "max_drawdown", description: "Max drawdown no worse than 35%", threshold: 35, value: stats.max_drawdown_pct, passed: stats.max_drawdown_pct <= 35 },
      { name: "beats_benchmark", description: "Return above buy & hold", threshold: true, value: stats.total_return_pct > stats.benchmark_return_pct, passed: stats.total_return_pct > stats.benchmark_return_pct },
      { name: "out_of_sample", description: "Walk-forward out-of-sample return must be positive. No walk-forward ran, so this gate has no value and does not pass; run with walk_forward to evaluate it.", threshold: true, value: null, passed: false },
    ],
    provenance: { spec_hash: "9f2c…e1", data_hash: "4be0…77", engine_version: "vt_engine 0.1.0", run_hash: "d1a9…03", conventions: { fill: "next bar open", sizing: "all cash, whole units", annualisation: "252 bars/year" }, data_sources: { [f.symbol]: "sample" } },
    warnings: trades.length < 30 ? [`Only ${trades.length} trades: treat the statistics with care.`] : [],
  };
}

const RESULT_A = makeResult(5);
const RESULT_B = makeResult(3);
const now = "2026-11-21T09:00:00Z";
export const RUN_A = { id: "run-a-0001", status: "succeeded", progress: 1, created_at: "2026-11-21T08:40:00Z", finished_at: "2026-11-21T08:40:09Z", strategy_id: "strat-1", error: null, result: RESULT_A };
export const RUN_WF = { id: "run-wf-0003", status: "succeeded", progress: 1, created_at: "2026-11-21T09:10:00Z", finished_at: "2026-11-21T09:10:12Z", strategy_id: "strat-1", error: null, result: withWalkForward(RESULT_A) };
export const RUN_FAILED = {
  id: "run-f-0004", status: "failed", progress: 0.2, created_at: "2026-11-21T09:20:00Z", finished_at: "2026-11-21T09:20:02Z", strategy_id: "strat-1", result: null,
  error: { type: "https://vibetrading.dev/problems/upstream", title: "Upstream failure", status: 502, service: "market-data", correlation_id: "5a0c7e9e-6c43-4b8e-a7d4-1f0b2c3d4e5f", detail: "market-data unreachable at GET /api/v1/market/data (set MARKET_DATA_URL)", errors: [{ loc: ["body", "spec", "risk", "stop_loss", "percent"], msg: "Input should be greater than 0" }, { loc: ["body", "spec", "period"], msg: "Value error, the backtest period starts in the future (2030-01-01)" }] },
};
export const RUN_B = { id: "run-b-0002", status: "succeeded", progress: 1, created_at: "2026-11-21T08:55:00Z", finished_at: "2026-11-21T08:55:07Z", strategy_id: "strat-1", error: null, result: RESULT_B };

/** A walk-forward run as the engine reports it: windows of 504 in-sample + 126 out-of-sample bars. */
function withWalkForward(result: ReturnType<typeof makeResult>) {
  const ts = FRAME.timestamps;
  const windows: Record<string, unknown>[] = [];
  const oosTs: string[] = [], oosVals: number[] = [];
  let eq = 10000;
  for (let start = 0, k = 0; start + 504 + 126 <= ts.length; start += 126, k++) {
    const r = [4.2, -1.3, 6.8, 2.1, -0.7, 3.9, 5.5, -2.4, 1.8, 2.6, 0.9][k % 11];
    windows.push({ in_sample_start: ts[start], in_sample_end: ts[start + 503], out_of_sample_start: ts[start + 504], out_of_sample_end: ts[start + 629], best_params: { "fast.window": [10, 20, 15, 20][k % 4], "slow.window": [50, 40, 50, 75][k % 4] }, in_sample_score: +(0.4 + (k % 3) * 0.3).toFixed(3), out_of_sample_return_pct: r });
    for (let i = start + 504; i < start + 630; i++) {
      eq *= 1 + r / 100 / 126;
      oosTs.push(ts[i]);
      oosVals.push(+eq.toFixed(2));
    }
  }
  const total = +((eq / 10000 - 1) * 100).toFixed(3);
  return {
    ...result,
    walk_forward: { windows, oos_equity: { timestamps: oosTs, values: oosVals }, oos_total_return_pct: total, oos_sharpe_ratio: 0.84 },
    gates: result.gates.map((g) => (g.name === "out_of_sample" ? { ...g, description: "Stitched walk-forward out-of-sample return (percent) must be positive.", value: total, passed: total > 0 } : g)),
  };
}

const EXPLANATION = {
  summary: "Buys SAMPLE:AAPL at the next open after the 20-day simple moving average crosses above the 50-day one, and sells when it crosses back below.",
  rules: ["Enter long when SMA(20) crosses above SMA(50).", "Exit when SMA(20) crosses below SMA(50).", "Stop loss 5% below the entry price."],
  expected_market_conditions: ["Long, persistent trends; whipsaws in sideways markets cost fees and small losses."],
  risk_assumptions: ["All cash in each trade, whole shares.", "Commission 0.1% and 0.05% slippage per fill; fills at the next bar's open."],
  indicators: [
    { id: "fast", kind: "sma", reading: "20-day simple moving average of the close" },
    { id: "slow", kind: "sma", reading: "50-day simple moving average of the close" },
  ],
  signal_frequency: { status: "computed", detail: "About 2.3 entries per year on SAMPLE:AAPL 2005–2012 (18 entries in 8 years).", entries: 18, entries_per_year: 2.3 },
  market_insight: null,
};
const CODE = `import numpy as np\nimport pandas as pd\nfrom vt_engine import indicators as ind\n\n\ndef generate_signals(data, params):\n    """SMA 20/50 cross on SAMPLE:AAPL, long only."""\n    fast = ind.sma(data["close"], 20)\n    slow = ind.sma(data["close"], 50)\n    entries = (fast > slow) & (fast.shift(1) <= slow.shift(1))\n    exits = (fast < slow) & (fast.shift(1) >= slow.shift(1))\n    return entries.fillna(False), exits.fillna(False)\n`;

export const REPLY_1 = {
  conversation_id: "conv-1", reply: "Here is your strategy: a 20/50-day moving-average crossover on SAMPLE:AAPL from 2005 to 2012 with a 5% stop loss.",
  strategy_id: "strat-1", version: 1, spec: SPEC_V1, code: CODE, explanation: EXPLANATION,
  intent: "new", assumptions: ["Daily bars (1d) because no timeframe was given."],
  warnings: ["Only one symbol: results depend heavily on AAPL's history."], clarification: null, diff: [],
  safety_report: { ok: true, checker: "vt_sandbox.check_code", code_generated: true, generated_from_spec: true, user_text_in_code: false, violations: [], note: null },
};
export const REPLY_2 = {
  ...REPLY_1, intent: "modify", reply: "Done: the stop loss is now 3% and entries need the close above its 200-day SMA.", version: 2, spec: SPEC_V2, assumptions: [],
  diff: [
    { path: "risk.stop_loss.percent", old: 5, new: 3 },
    { path: "indicators.2", old: null, new: { kind: "sma", id: "trend", window: 200 } },
    { path: "filters.0", old: null, new: SPEC_V2.filters[0] },
  ],
};

const VERSIONS = [
  { version: 1, spec: SPEC_V1, code: CODE, explanation: EXPLANATION, diff: [], source: "chat", created_at: "2026-11-21T08:39:00Z" },
  { version: 2, spec: SPEC_V2, code: CODE, explanation: { ...EXPLANATION, summary: REPLY_2.reply }, diff: REPLY_2.diff, source: "chat", created_at: "2026-11-21T08:54:00Z" },
];
/** How PostgreSQL's JSONB hands a stored spec back: keys by length, so `exit` first, `indicators` last. */
export function jsonbOrder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonbOrder);
  if (!v || typeof v !== "object") return v;
  const e = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.length - b.length || (a < b ? -1 : 1));
  return Object.fromEntries(e.map(([k, x]) => [k, jsonbOrder(x)]));
}
const STRATEGY = { id: "strat-1", name: SPEC_V1.name, description: SPEC_V1.description, current_version: 2, symbols: ["SAMPLE:AAPL"], timeframe: "1d", created_at: "2026-11-21T08:39:00Z", updated_at: "2026-11-21T08:54:00Z", spec: jsonbOrder(SPEC_V2), conversation_id: "conv-1" };

export const INSIGHT = {
  symbol: "SAMPLE:AAPL", as_of: "2012-12-31T00:00:00Z", trend_state: "uptrend", volatility_regime: "high", momentum_pct: 12.4, drawdown_pct: 8.7,
  sentiment_score: 0.32, sentiment_reason: "5 offline headlines scored with finvader: mostly positive earnings coverage.",
  risk_flag: true, risk_reasons: ["Realised volatility is in its top decile over 5 years."],
  recommended_strategy_types: ["trend_following", "volatility_filtered"], benchmark: "SAMPLE:IBM", correlation_to_benchmark: 0.41,
  derivations: {
    momentum_pct: { formula: "close[t] / close[t-126] - 1", inputs: { "close[t]": 532.17, "close[t-126]": 473.48 } },
    trend_state: { formula: "close vs SMA(50) and SMA(200), SMA(50) slope", inputs: { sma50: 545.2, sma200: 520.9 } },
    volatility_regime: { formula: "20-day realised vol percentile over 5 years", inputs: { vol_20d: 0.38, percentile: 0.91 } },
    risk_flag: {
      formula: "true if an economic or earnings event is within 2 day(s) of the last price bar (as_of when the data is current), volatility regime is extreme, drawdown <= -20 %, or the price data is more than 7 days older than as_of",
      inputs: { event_window_days: 2, events_as_of: "2012-12-31", calendar: "/srv/vibetrading/market-research-service/src/vt_research/data/econ_calendar.yaml", events_found: 0 },
    },
    top_assets: { formula: "universe ranked by momentum_pct = (close_t / close_(t-126) - 1) * 100, descending, first 5", inputs: { "SAMPLE:AAPL": 12.4, "SAMPLE:MSFT": 3.1, "SAMPLE:IBM": -2.2, "SAMPLE:GOOG": 8.8, skipped: "SAMPLE:XOM,SAMPLE:JPM,SAMPLE:WMT,SAMPLE:PG,SAMPLE:KO,SAMPLE:PFE,SAMPLE:INTC,SAMPLE:CSCO" } },
  },
  top_assets: [],
};

function sse(events: [string, unknown][]) {
  return events.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join("");
}

export interface MockOptions {
  /** Number of GETs of the new run that still report "running". */
  runningPolls?: number;
  signedIn?: boolean;
  /** Trading fixtures' state (kill, approvals, deployments); a fresh one if not given. */
  trading?: TradingState;
}

export async function mockApi(page: Page, opts: MockOptions = {}) {
  let chatTurns = 0;
  let polls = 0;
  let cancelled = false;
  const CANCELLED_B = { ...RUN_B, status: "cancelled", result: null, error: { type: "https://vibetrading.dev/problems/cancelled", title: "Cancelled", status: 409, detail: "You cancelled this backtest before it finished." } };
  let signedIn = opts.signedIn ?? true;
  const trading = opts.trading ?? tradingState();
  const json = (route: Route, body: unknown, status = 200) =>
    route.fulfill({ status, contentType: status >= 400 ? "application/problem+json" : "application/json", body: JSON.stringify(body) });
  await page.route("**/api/v1/**", async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    const path = url.pathname.replace(/^\/api\/v1/, "");
    const m = req.method();
    if (path === "/auth/register" || path === "/auth/login") {
      const body = req.postDataJSON() as { email: string; password: string };
      // what the gateway answers (vt_kit's problem titles are written for developers)
      if (path === "/auth/login" && body.password === "wrong-password") return json(route, { type: "https://vibetrading.dev/problems/invalid-credentials", title: "Authentication required", status: 401, detail: "Wrong e-mail or password.", correlation_id: "c0ffee00-1234-4abc-9def-0123456789ab" }, 401);
      if (path === "/auth/register" && body.email.startsWith("dup")) return json(route, { type: "https://vibetrading.dev/problems/conflict", title: "Conflict", status: 409, detail: "An account with this e-mail already exists. Log in instead, or use another address." }, 409);
      if (path === "/auth/register" && body.email.startsWith("taken")) return json(route, { type: "https://vibetrading.dev/problems/conflict", title: "Email already registered", status: 409, detail: "An account with this email exists. Sign in instead, or use another email.", errors: [{ loc: ["body", "email"], msg: "This email is already registered." }] }, 409);
      signedIn = true;
      return json(route, path === "/auth/login" ? { access_token: "t", token_type: "bearer", expires_in: 900 } : { id: "u1", email: body.email }, path === "/auth/login" ? 200 : 201);
    }
    if (path === "/auth/refresh") return json(route, { title: "Unauthorized", status: 401, detail: "Sign in again." }, 401);
    if (path === "/auth/logout") return route.fulfill({ status: 204 });
    if (path === "/users/me") return signedIn ? json(route, { id: "u1", email: "trader@example.com", role: "user", is_active: true, created_at: "2026-11-20T10:00:00Z", settings: { llm_provider: null, llm_model: null, has_llm_api_key: false, default_commission: 0.001, default_slippage: 0.0005, default_initial_capital: 10000 } }) : json(route, { title: "Unauthorized", status: 401, detail: "Sign in to continue." }, 401);
    if (path === "/users/me/settings") return json(route, { ok: true });
    if (path === "/chat/strategy") {
      const reply = chatTurns++ === 0 ? REPLY_1 : REPLY_2;
      const words = reply.reply.split(/(?<= )/);
      return route.fulfill({ status: 200, headers: { "content-type": "text/event-stream" }, body: sse([...words.map((w) => ["token", { text: w }] as [string, unknown]), ["result", reply]]) });
    }
    if (path === "/schemas/strategy") return route.fulfill({ status: 200, contentType: "application/json", body: SCHEMA });
    if (path === "/strategies") return json(route, { items: [STRATEGY, { id: "strat-2", name: "RSI mean reversion on MSFT", current_version: 1, symbols: ["SAMPLE:MSFT"], updated_at: "2026-11-20T16:10:00Z", spec: { ...SPEC_V1, name: "RSI mean reversion on MSFT", universe: { symbols: ["SAMPLE:MSFT"] } } }], next_cursor: null });
    if (path === "/strategies/strat-1") return m === "PUT" ? json(route, STRATEGY) : json(route, STRATEGY);
    if (path === "/strategies/strat-1/versions") return json(route, { items: VERSIONS, next_cursor: null });
    if (path === "/backtest/run") return json(route, { id: (req.postDataJSON() as { walk_forward?: unknown }).walk_forward ? RUN_WF.id : RUN_B.id }, 202);
    if (path === `/backtest/${RUN_WF.id}`) return json(route, RUN_WF);
    if (path === `/backtest/${RUN_FAILED.id}`) return json(route, RUN_FAILED);
    if (/^\/backtest\/[^/]+\/events$/.test(path)) return json(route, { title: "Not Found", status: 404 }, 404);
    if (path === `/backtest/${RUN_A.id}`) return json(route, RUN_A);
    if (path === `/backtest/${RUN_B.id}/cancel` && m === "POST") {
      cancelled = true;
      return json(route, CANCELLED_B);
    }
    if (path === `/backtest/${RUN_B.id}`) {
      if (cancelled) return json(route, CANCELLED_B);
      if (polls++ < (opts.runningPolls ?? 0)) return json(route, { ...RUN_B, status: "running", progress: 0.4, result: null, finished_at: null });
      return json(route, RUN_B);
    }
    if (path === "/backtests") {
      // BacktestRunSummary as backtest-engine sends it: no result, headline stats as `summary`
      const lite = (r: typeof RUN_A, v: number) => ({ id: r.id, status: r.status, progress: r.progress, kind: "spec", strategy_id: r.strategy_id, strategy_version: v, name: "SMA 20/50 cross on AAPL", symbols: ["SAMPLE:AAPL"], created_at: r.created_at, summary: r.result.summary_stats, error: null });
      return json(route, { items: [lite(RUN_B, 2), lite(RUN_A, 1), { id: "run-c-0003", status: "failed", progress: 0.2, created_at: "2026-11-20T17:00:00Z", strategy_id: "strat-2" }], next_cursor: null });
    }
    if (path === "/market/data") return json(route, { ...FRAME, symbol: url.searchParams.get("symbol") ?? FRAME.symbol });
    if (path === "/market/symbols") {
      const q = (url.searchParams.get("q") ?? "").toUpperCase();
      const all = ["SAMPLE:AAPL", "SAMPLE:MSFT", "SAMPLE:IBM", "SAMPLE:GOOG", "DEMO:TREND", "DEMO:RANGE"].map((s) => ({ symbol: s, name: s.split(":")[1], market: "us_equity", provider: s.startsWith("DEMO") ? "demo" : "sample", timezone: "America/New_York" }));
      return json(route, all.filter((s) => s.symbol.includes(q)));
    }
    if (path === "/market/insight") return json(route, { ...INSIGHT, symbol: url.searchParams.get("symbol") ?? INSIGHT.symbol });
    const t = tradingRoute(trading, m, path, url, m === "GET" ? null : req.postDataJSON());
    if (t) return json(route, t.body, t.status);
    return json(route, { title: "Not Found", status: 404, detail: `mock has no ${m} ${path}` }, 404);
  });
}
