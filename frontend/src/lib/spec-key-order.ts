/**
 * Canonical key order of a StrategySpec: the field order of the vt_contracts models (schema_version,
 * name, description, universe, period, indicators, entry, exit, …), which the database's JSONB
 * does not keep (it stores keys by length: `exit` first, `indicators` last). The committed JSON
 * Schema sorts properties alphabetically, so the order is listed here; tests/spec-order.test.ts
 * checks it covers every property of every definition in the schema.
 */
export const SPEC_KEY_ORDER: Record<string, readonly string[]> = {
  "StrategySpec": [
    "schema_version",
    "name",
    "description",
    "universe",
    "period",
    "indicators",
    "direction",
    "entry",
    "exit",
    "short_entry",
    "short_exit",
    "filters",
    "pair",
    "sizing",
    "scale_in",
    "risk",
    "costs",
    "execution",
    "benchmark",
    "initial_capital",
    "currency"
  ],
  "Universe": [
    "symbols",
    "market",
    "timeframe",
    "weights",
    "adjust"
  ],
  "Period": [
    "start",
    "end"
  ],
  "SpreadZScore": [
    "id",
    "symbol",
    "kind",
    "leg_a",
    "leg_b",
    "window",
    "hedge_ratio"
  ],
  "ZScore": [
    "id",
    "symbol",
    "kind",
    "source",
    "window"
  ],
  "RealizedVolatility": [
    "id",
    "symbol",
    "kind",
    "window",
    "annualize"
  ],
  "ROC": [
    "id",
    "symbol",
    "kind",
    "source",
    "window"
  ],
  "VWAP": [
    "id",
    "symbol",
    "kind",
    "window"
  ],
  "Donchian": [
    "id",
    "symbol",
    "kind",
    "window"
  ],
  "Stochastic": [
    "id",
    "symbol",
    "kind",
    "k_window",
    "smooth_k",
    "d_window"
  ],
  "ADX": [
    "id",
    "symbol",
    "kind",
    "window"
  ],
  "ATR": [
    "id",
    "symbol",
    "kind",
    "window"
  ],
  "BollingerBands": [
    "id",
    "symbol",
    "kind",
    "source",
    "window",
    "num_std"
  ],
  "MACD": [
    "id",
    "symbol",
    "kind",
    "source",
    "fast",
    "slow",
    "signal"
  ],
  "RSI": [
    "id",
    "symbol",
    "kind",
    "source",
    "window"
  ],
  "WMA": [
    "id",
    "symbol",
    "kind",
    "source",
    "window"
  ],
  "EMA": [
    "id",
    "symbol",
    "kind",
    "source",
    "window"
  ],
  "SMA": [
    "id",
    "symbol",
    "kind",
    "source",
    "window"
  ],
  "ForNBars": [
    "kind",
    "condition",
    "n"
  ],
  "Not": [
    "kind",
    "condition"
  ],
  "AnyOf": [
    "kind",
    "conditions"
  ],
  "AllOf": [
    "kind",
    "conditions"
  ],
  "CrossesBelow": [
    "kind",
    "left",
    "right"
  ],
  "ConstOperand": [
    "kind",
    "value"
  ],
  "PriceOperand": [
    "kind",
    "field",
    "shift"
  ],
  "IndicatorOperand": [
    "kind",
    "id",
    "output",
    "shift"
  ],
  "CrossesAbove": [
    "kind",
    "left",
    "right"
  ],
  "Compare": [
    "kind",
    "left",
    "op",
    "right"
  ],
  "Pair": [
    "leg_a",
    "leg_b"
  ],
  "FractionalKelly": [
    "kind",
    "fraction",
    "max_percent",
    "min_trades",
    "fallback_percent"
  ],
  "VolatilityTarget": [
    "kind",
    "target_vol_pct",
    "lookback",
    "max_leverage"
  ],
  "FixedCash": [
    "kind",
    "amount"
  ],
  "PercentOfEquity": [
    "kind",
    "percent"
  ],
  "ScaleInStep": [
    "move_pct",
    "fraction"
  ],
  "Risk": [
    "stop_loss",
    "trailing_stop",
    "take_profit",
    "max_holding_bars"
  ],
  "ATRStop": [
    "kind",
    "multiple",
    "window"
  ],
  "PercentStop": [
    "kind",
    "percent"
  ],
  "TrailingStop": [
    "percent"
  ],
  "TakeProfitStage": [
    "gain_pct",
    "fraction"
  ],
  "Costs": [
    "commission_pct",
    "commission_fixed",
    "slippage_pct"
  ],
  "Execution": [
    "fill",
    "fractional_units"
  ],
  "Benchmark": [
    "symbol"
  ]
};

type Json = unknown;

/** Definitions whose fields include every key of `obj` (same `kind` when the object has one). */
function orderFor(obj: Record<string, Json>): readonly string[] | null {
  const keys = Object.keys(obj);
  let best: readonly string[] | null = null;
  for (const [, fields] of Object.entries(SPEC_KEY_ORDER)) {
    if (!keys.every((k) => fields.includes(k))) continue;
    if ("kind" in obj && !fields.includes("kind")) continue;
    if (!best || fields.length < best.length) best = fields;
  }
  return best;
}

function order(v: Json, fields: readonly string[] | null): Json {
  if (Array.isArray(v)) return v.map((x) => order(x, null));
  if (!v || typeof v !== "object") return v;
  const obj = v as Record<string, Json>;
  const f = fields ?? orderFor(obj);
  if (!f) return Object.fromEntries(Object.entries(obj).map(([k, x]) => [k, order(x, null)]));
  const known = f.filter((k) => k in obj);
  const rest = Object.keys(obj).filter((k) => !f.includes(k));
  return Object.fromEntries([...known, ...rest].map((k) => [k, k === "weights" ? obj[k] : order(obj[k], null)]));
}

/** The spec with its keys in canonical order at every level (values untouched). */
export function canonicalSpecOrder<T>(spec: T): T {
  return order(spec, SPEC_KEY_ORDER.StrategySpec) as T;
}

/** The editor's text of a spec: canonical key order, two-space indent. */
export function specText(spec: unknown): string {
  return JSON.stringify(canonicalSpecOrder(spec), null, 2);
}
