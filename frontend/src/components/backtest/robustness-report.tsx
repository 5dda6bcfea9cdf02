import * as React from "react";
import type { Robustness } from "@/lib/api/types";
import { fmtNum, fmtPct } from "@/lib/format";

function Row({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="flex items-baseline justify-between gap-2 border-b border-dashed py-1 last:border-0">
      <dt className="text-muted-foreground" title={hint}>
        {label}
      </dt>
      <dd className="tabular font-medium">{value}</dd>
    </div>
  );
}

/** How much of the result could be luck: Deflated Sharpe Ratio and a bootstrap of the trades. */
export function RobustnessReport({ robustness }: { robustness?: Robustness | null }) {
  if (!robustness || (!robustness.bootstrap && !robustness.deflated_sharpe)) return null;
  const d = robustness.deflated_sharpe;
  const b = robustness.bootstrap;
  const prob = (v: number) => fmtPct(v * 100, 1, false);
  return (
    <section aria-labelledby="robustness-heading" className="grid gap-2" data-testid="robustness">
      <h2 id="robustness-heading" className="font-semibold">
        Luck check
      </h2>
      <dl className="grid gap-x-4 text-sm">
        {d ? (
          <>
            <Row
              label="Deflated Sharpe"
              value={prob(d.deflated_sharpe)}
              hint={`Probability that the true Sharpe ratio beats ${fmtNum(d.expected_max_sharpe_annual)}, the best expected from ${d.n_trials} variant(s) without edge`}
            />
            <Row label="Probabilistic Sharpe" value={prob(d.probabilistic_sharpe)} hint="Probability that the true Sharpe ratio is above 0" />
          </>
        ) : null}
        {b ? (
          <>
            <Row
              label={`Final return (${b.band_low_pct}–${b.band_high_pct}%)`}
              value={`${fmtPct(b.final_return_pct_low)} … ${fmtPct(b.final_return_pct_high)}`}
              hint={`${b.paths} resampled sequences of ${b.trades} trades`}
            />
            <Row label={`Max drawdown (${b.band_high_pct}th pct)`} value={fmtPct(b.max_drawdown_pct_high, 2, false)} />
            <Row
              label="Drawdown ≥ observed"
              value={prob(b.prob_drawdown_at_least_observed)}
              hint={`Share of resampled sequences falling at least ${fmtPct(b.observed_max_drawdown_pct, 2, false)} (the observed trade-by-trade drawdown)`}
            />
            <Row label="Chance of a loss" value={prob(b.prob_loss)} />
          </>
        ) : null}
      </dl>
    </section>
  );
}
