/**
 * Types of what the UI renders, hand-written from packages/contracts/schemas/*.json
 * (StrategySpec v1, BacktestResult, BacktestRun, Insight, OHLCVFrame, Problem).
 * Request/response envelopes of the gateway come from the generated `schema.d.ts` once the
 * gateway's OpenAPI exists (`npm run gen`); the shapes below are the contracts themselves.
 */

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

export interface BacktestResult {
  summary_stats: SummaryStats;
  equity_curve: Series;
  drawdown_curve: Series;
  returns: Series;
  benchmark_curve?: Series | null;
  trades: Trade[];
  gates?: GateResult[];
  provenance: Provenance;
  walk_forward?: unknown;
  warnings?: string[];
}

export type RunStatus = "queued" | "running" | "succeeded" | "failed";

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

export interface ChatReply {
  conversation_id: string;
  reply: string;
  strategy_id: string | null;
  version: number | null;
  spec: StrategySpec | null;
  code: string | null;
  explanation: string | null;
  warnings: string[];
  clarification: string | null | { question?: string; options?: string[]; [k: string]: unknown };
  diff: unknown;
  safety_report: unknown;
}

export interface StrategySummary {
  id: string;
  name: string;
  version?: number;
  latest_version?: number;
  created_at?: string;
  updated_at?: string;
  spec?: StrategySpec;
  [k: string]: unknown;
}

export interface StrategyVersion {
  version: number;
  spec: StrategySpec;
  code?: string | null;
  explanation?: string | null;
  diff?: unknown;
  created_at?: string;
  [k: string]: unknown;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface SymbolInfo {
  symbol: string;
  name?: string | null;
  market?: string | null;
  provider?: string | null;
  timezone?: string | null;
}

export interface User {
  id: string;
  email: string;
  settings?: UserSettings;
  [k: string]: unknown;
}

export interface UserSettings {
  llm_provider?: string | null;
  llm_model?: string | null;
  llm_api_key_set?: boolean;
  default_commission_pct?: number | null;
  default_slippage_pct?: number | null;
  default_initial_capital?: number | null;
  [k: string]: unknown;
}
