/**
 * Compile-time drift check: what the gateway's OpenAPI says it sends must fit the types the UI
 * reads (types.ts). `tsc` (and `next build`) fail when a contract changes incompatibly.
 */
import type { components } from "@/lib/api/schema";
import type { BacktestResult, BacktestRun, Insight, OHLCVFrame, Problem, Trade, GateResult, SummaryStats } from "@/lib/api/types";

type S = components["schemas"];
type Fits<Actual extends Expected, Expected> = Actual;

export type _Checks = [
  Fits<S["Trade"], Trade>,
  Fits<S["GateResult"], GateResult>,
  Fits<S["SummaryStats"], SummaryStats>,
  Fits<S["BacktestResult"], BacktestResult>,
  Fits<S["BacktestRun"], BacktestRun>,
  Fits<S["Insight"], Insight>,
  Fits<S["OHLCVFrame"], OHLCVFrame>,
  Fits<S["Problem"], Problem>,
];
