import * as React from "react";
import type { RiskState } from "@/lib/api/trading";
import { humanize } from "@/lib/format";
import { cn } from "@/lib/utils";

const UNIT: Record<string, string> = { consecutive_losses: "losing trades in a row" };

/** Each breaker as a meter: how far its value is towards the threshold that trips it. */
export function BreakerMeters({ risk }: { risk: RiskState }) {
  return (
    <section aria-labelledby="breakers-heading" className="grid gap-3" data-testid="breakers">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="breakers-heading" className="font-semibold">
          Risk state: <span className={cn(risk.state === "active" ? "text-success" : "text-destructive", "uppercase")}>{risk.state}</span>
        </h2>
        {risk.reason ? <p className="text-xs text-muted-foreground">{risk.reason}</p> : null}
      </div>
      <ul className="grid gap-3 sm:grid-cols-2">
        {risk.breakers.map((b) => {
          const value = Math.abs(b.value_pct ?? 0);
          const frac = b.threshold_pct > 0 ? Math.min(1, value / b.threshold_pct) : 0;
          const unit = UNIT[b.name];
          const shown = unit ? `${value.toFixed(0)} of ${b.threshold_pct.toFixed(0)} ${unit}` : `${value.toFixed(2)}% of ${b.threshold_pct.toFixed(2)}%`;
          const distance = unit ? `${Math.max(0, b.threshold_pct - value).toFixed(0)} to go` : `${Math.max(0, b.threshold_pct - value).toFixed(2)} pts to the threshold`;
          return (
            <li key={b.name} className="grid gap-1" data-testid="breaker">
              <div className="flex flex-wrap justify-between gap-2 text-sm">
                <span className="font-medium">
                  {humanize(b.name)} {b.tripped ? <strong className="text-destructive">TRIPPED</strong> : null}
                </span>
                <span className="tabular text-xs text-muted-foreground">{shown}</span>
              </div>
              <div
                role="meter"
                aria-label={`${humanize(b.name)} breaker`}
                aria-valuemin={0}
                aria-valuemax={b.threshold_pct}
                aria-valuenow={value}
                aria-valuetext={`${shown}${b.tripped ? ", tripped" : `, ${distance}`}`}
                className="h-2.5 w-full overflow-hidden rounded-full bg-muted"
              >
                <div
                  className={cn("h-full", b.tripped || frac >= 1 ? "bg-destructive" : frac >= 0.66 ? "bg-warning" : "bg-success")}
                  style={{ width: `${Math.max(frac * 100, value > 0 ? 2 : 0)}%` }}
                />
              </div>
              <span className="text-xs text-muted-foreground">{b.tripped ? "tripped" : distance}</span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
