/**
 * Types of what the UI renders. Gateway envelopes (users, settings, strategies, run summaries,
 * tokens) come from the generated `schema.d.ts` (`npm run gen`, from the gateway's OpenAPI).
 * The contracts the UI reads field by field (BacktestResult, Trade, Insight, OHLCVFrame, Problem)
 * are written out here for readable code and checked against the generated ones in
 * `types-check.ts`, so drift fails `tsc`.
 */
import type { components } from "@/lib/api/schema";

type S = components["schemas"];
export type User = S["UserRead"];
export type UserSettings = S["UserSettingsRead"];
export type UserSettingsUpdate = S["UserSettingsUpdate"];
export type TokenResponse = S["TokenResponse"];
export type BacktestRunSummary = S["BacktestRunSummary"];
export type SymbolInfo = S["SymbolMatch"];

export interface FieldError {
  loc: (string | number)[];
  msg: string;
  type?: string;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string | null;
  instance?: string | null;
  correlation_id?: string | null;
  service?: string | null;
  errors?: FieldError[] | null;
}

/** StrategySpec v1: validated against the served JSON Schema; typed here by the fields the UI reads. */
export interface StrategySpec {
  name: string;
  description?: string;
  universe: { symbols: string[]; market?: string; timeframe?: string; [k: string]: unknown };
  period?: { start?: string | null; end?: string | null; [k: string]: unknown };
  direction?: "long" | "short" | "both";
  initial_capital?: number;
  [k: string]: unknown;
}

export interface Series {
  timestamps: string[];
  values: (number | null)[];
}

export interface SummaryStats {
  start: string;
  end: string;
  bars: number;
  initial_capital: number;
  final_equity: number;
  total_return_pct: number;
  cagr_pct: number | null;
  cagr_null_reason?: string | null;
  volatility_annual_pct: number | null;
  sharpe_ratio: number | null;
  sortino_ratio: number | null;
  max_drawdown_pct: number;
  longest_drawdown_bars: number;
  longest_drawdown_days?: number | null;
  recovery_bars?: number | null;
  calmar_ratio: number | null;
  win_rate_pct: number | null;
  profit_factor: number | null;
  expectancy: number | null;
  expectancy_pct?: number | null;
  avg_win_pct: number | null;
  avg_loss_pct: number | null;
  reward_risk_ratio: number | null;
  exposure_pct: number;
  trade_count: number;
  trade_p_value: number | null;
  total_fees: number;
  benchmark_return_pct: number | null;
  alpha_annual_pct: number | null;
  beta: number | null;
  periods_per_year: number;
}

export type ExitReason = "signal" | "stop_loss" | "trailing_stop" | "take_profit" | "max_holding" | "end_of_data" | "reverse";

export interface Trade {
  symbol: string;
  direction: "long" | "short";
  entry_time: string;
  entry_price: number;
  exit_time: string | null;
  exit_price: number | null;
  exit_reason?: ExitReason | null;
  size: number;
  pnl: number;
  return_pct: number;
  fees: number;
  duration_bars: number;
  is_open?: boolean;
  round_trip?: number | null;
}

export type WalkForwardConfig = S["WalkForwardConfig"];

export interface WalkForwardWindow {
  in_sample_start: string;
  in_sample_end: string;
  out_of_sample_start: string;
  out_of_sample_end: string;
  best_params: Record<string, number>;
  in_sample_score: number | null;
  out_of_sample_return_pct: number;
  boundary_exit_cost?: number;
}

export interface WalkForwardReport {
  windows: WalkForwardWindow[];
  oos_equity: Series;
  oos_total_return_pct: number;
  oos_sharpe_ratio: number | null;
}

export interface GateResult {
  name: string;
  description: string;
  threshold: number | boolean;
  value: number | boolean | null;
  passed: boolean;
}

export interface Provenance {
  spec_hash: string;
  data_hash: string;
  engine_version: string;
  run_hash: string;
  conventions: Record<string, string>;
  data_sources?: Record<string, string>;
}

export interface TradeBootstrap {
  paths: number;
  trades: number;
  band_low_pct: number;
  band_high_pct: number;
  after_trade: number[];
  equity_low: number[];
  equity_median: number[];
  equity_high: number[];
  final_return_pct_low: number;
  final_return_pct_median: number;
  final_return_pct_high: number;
  max_drawdown_pct_median: number;
  max_drawdown_pct_high: number;
  observed_max_drawdown_pct: number;
  prob_drawdown_at_least_observed: number;
  prob_loss: number;
}

export interface DeflatedSharpeReport {
  sharpe_annual: number;
  expected_max_sharpe_annual: number;
  n_trials: number;
  observations: number;
  skewness: number;
  kurtosis: number;
  probabilistic_sharpe: number;
  deflated_sharpe: number;
}

export interface Robustness {
  bootstrap?: TradeBootstrap | null;
  deflated_sharpe?: DeflatedSharpeReport | null;
}

export interface BacktestResult {
  summary_stats: SummaryStats;
  equity_curve: Series;
  drawdown_curve: Series;
  returns: Series;
  benchmark_curve?: Series | null;
  trades: Trade[];
  gates?: GateResult[];
  gate_profile?: string;
  provenance: Provenance;
  walk_forward?: WalkForwardReport | null;
  robustness?: Robustness | null;
  warnings?: string[];
}

export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface BacktestRun {
  id: string;
  status: RunStatus;
  progress: number;
  created_at?: string;
  started_at?: string | null;
  finished_at?: string | null;
  strategy_id?: string | null;
  error?: Problem | null;
  result?: BacktestResult | null;
  [k: string]: unknown;
}

export interface OHLCVFrame {
  symbol: string;
  timeframe: string;
  provider: string;
  label?: string | null;
  timestamps: string[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
  quality: { bars: number; issues?: { kind: string; count: number; detail: string; first_at?: string | null }[] };
}

export interface Derivation {
  formula: string;
  inputs?: Record<string, number | string | null>;
}

export interface Insight {
  symbol: string;
  as_of: string;
  trend_state: "strong_uptrend" | "uptrend" | "sideways" | "downtrend" | "strong_downtrend";
  volatility_regime: "low" | "normal" | "high" | "extreme";
  momentum_pct?: number | null;
  drawdown_pct?: number | null;
  sentiment_score?: number | null;
  sentiment_reason?: string | null;
  risk_flag?: boolean;
  risk_reasons?: string[];
  recommended_strategy_types?: string[];
  derivations?: Record<string, Derivation>;
  benchmark?: string | null;
  correlation_to_benchmark?: number | null;
  top_assets?: { symbol: string; momentum_pct: number }[];
}

export interface Explanation {
  summary: string;
  rules?: string[];
  expected_market_conditions?: string[];
  risk_assumptions?: string[];
  indicators?: { id: string; kind: string; reading: string }[];
  signal_frequency?: { status: "computed" | "unavailable" | "not_requested"; detail: string; entries?: number | null; entries_per_year?: number | null; [k: string]: unknown };
  market_insight?: Record<string, unknown> | null;
}

export interface SafetyReport {
  ok: boolean;
  checker?: string;
  code_generated?: boolean;
  generated_from_spec?: boolean;
  violations?: { line: number; col: number; code: string; message: string }[];
  note?: string | null;
}

export interface ChatReply {
  conversation_id: string;
  reply: string;
  strategy_id: string | null;
  version: number | null;
  spec: StrategySpec | null;
  code: string | null;
  /** Structured (vt_strategy_ai Explanation) or plain text. */
  explanation: Explanation | string | null;
  intent?: string;
  assumptions?: string[];
  warnings: string[];
  clarification: string | null;
  diff: unknown;
  safety_report: SafetyReport | null;
}

/** S["StrategyRead"] with `spec` typed as a StrategySpec. */
export interface StrategySummary {
  id: string;
  name?: string | null;
  description?: string | null;
  current_version?: number | null;
  created_at?: string | null;
  updated_at?: string | null;
  spec?: StrategySpec | null;
  conversation_id?: string | null;
  symbols?: string[];
  timeframe?: string | null;
}

export interface StrategyVersion {
  version: number;
  spec?: StrategySpec | null;
  code?: string | null;
  explanation?: Explanation | string | null;
  diff?: unknown;
  source?: string;
  created_at?: string | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

