import type { BrokerAccount, Deployment, Fill, Order, RiskState, TargetSnapshot, TradingException } from "@/lib/api/trading";

export const DEP_ID = "4fc09b66-6bcd-4733-a65e-3dcf52721dce";
export const SHORT = "4fc09b666bcd4733";

export const limits = {
  max_position_pct: 5, max_gross_exposure_pct: 30, daily_loss_limit_pct: 2, max_order_notional: null, max_orders_per_minute: 60,
  price_band_pct: 10, daily_halt_pct: 3, weekly_halt_pct: 7, drawdown_kill_pct: 15, max_consecutive_losses: 5, reconcile_tolerance: "0",
} as unknown as BrokerAccount["risk_limits"];

export const paperAccount: BrokerAccount = { id: "acc-paper", name: "Paper", venue: "paper", environment: "paper", base_currency: "USD", has_credentials: false, risk_limits: limits, created_at: "2026-12-05T12:00:00Z" };
export const liveAccount: BrokerAccount = { ...paperAccount, id: "acc-live", name: "IBKR live", venue: "ibkr", environment: "live", has_credentials: true };

export function deployment(over: Partial<Deployment> = {}): Deployment {
  return {
    id: DEP_ID, strategy_id: "s1", version: 1, spec_hash: "ab", backtest_id: "run-1", account_id: "acc-paper", environment: "paper", venue: "paper",
    status: "running", risk_state: "active", capital: "10000", dry_run: false, review_mode: "auto", timeframe: "1d", symbols: ["SAMPLE:AAPL"],
    gates: { profile: "strict", passed: false, failing: ["min_trades"], acknowledged: true },
    replay: { start: "2005-01-01", end: "2012-12-31", bars_per_second: 50, cursor: "2005-04-25T04:00:00Z", bars_done: 80, bars_total: 2013, finished: false, label: "replay" },
    expires_at: null, last_bar_at: "2005-04-25T04:00:00Z", created_at: "2026-12-05T12:05:53Z", updated_at: "2026-12-05T12:05:53Z",
    ...over,
  };
}

export function risk(over: Partial<RiskState> = {}): RiskState {
  return {
    account_id: "acc-paper", environment: "paper", state: "active", reason: null, equity: "1000000", peak_equity: "1010000", day_start_equity: "1000000", week_start_equity: "1000000",
    breakers: [
      { name: "daily_loss", threshold_pct: 3, value_pct: 1.5, tripped: false },
      { name: "weekly_loss", threshold_pct: 7, value_pct: 0, tripped: false },
      { name: "drawdown", threshold_pct: 15, value_pct: 16, tripped: true },
      { name: "consecutive_losses", threshold_pct: 5, value_pct: 2, tripped: false },
    ],
    killed_at: null, flatten_latched: false, limits: limits as unknown as RiskState["limits"],
    ...over,
  };
}

export const target = (seq: number, over: Partial<TargetSnapshot> = {}): TargetSnapshot => ({
  id: `t${seq}`, deployment_id: DEP_ID, bar_at: `2005-01-${String(seq + 2).padStart(2, "0")}T05:00:00Z`, review: "applied",
  lines: [{ symbol: "SAMPLE:AAPL", signal_symbol: "SAMPLE:AAPL", target_qty: seq === 2 ? "100" : "0", reference_price: "4.75", reason: seq === 2 ? "entry" : "flat" }],
  signal: { "SAMPLE:AAPL": seq === 2 ? "entry" : "flat" }, created_at: `2026-12-05T12:06:0${seq}Z`, ...over,
});

export const order = (over: Partial<Order> = {}): Order => ({
  id: "o1", client_order_id: `p${SHORT}-2-0`, deployment_id: DEP_ID, symbol: "SAMPLE:AAPL", side: "buy", qty: "100", filled_qty: "100", avg_fill_price: "4.80",
  type: "market", state: "filled", risk_decision: "clip", reason: "open", reduce_only: false, dry_run: false, limit_price: null, stop_price: null,
  created_at: "2026-12-05T12:06:04Z", updated_at: "2026-12-05T12:06:04Z", ...over,
});

export const fill = (over: Partial<Fill> = {}): Fill => ({
  id: "f1", order_id: "o1", client_order_id: `p${SHORT}-2-0`, execution_id: "paper-exec-1", symbol: "SAMPLE:AAPL", side: "buy", qty: "100", price: "4.80", fees: "1.00", ts: "2005-01-05T14:30:00Z", ...over,
});

export const exception = (over: Partial<TradingException> = {}): TradingException => ({
  id: "e1", account_id: "acc-paper", deployment_id: null, kind: "position_break", severity: "critical", status: "open", detail: "broker holds 10 more SAMPLE:AAPL than we do",
  created_at: "2026-12-05T12:10:00Z", resolved_at: null, ...over,
});
