import * as React from "react";
import { AlertTriangle, TrendingDown, TrendingUp, Minus } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import type { Insight } from "@/lib/api/types";
import { fmtDateTime, fmtNum, fmtPct, humanize } from "@/lib/format";
import { cn } from "@/lib/utils";
import { humanText } from "@/lib/human-errors";

/** A server file path ("/srv/vt/data/econ_calendar.yaml") is shown as its file name only. */
export function noServerPath(v: string): string {
  return humanText(v.replace(/(?<![\w.])(?:[A-Za-z]:)?(?:[\\/][\w.@+-]+){2,}/g, (m) => m.split(/[\\/]/).pop() ?? m), { capitalize: false });
}

const TREND: Record<Insight["trend_state"], { label: string; tone: "success" | "destructive" | "secondary"; Icon: typeof TrendingUp }> = {
  strong_uptrend: { label: "Strong uptrend", tone: "success", Icon: TrendingUp },
  uptrend: { label: "Uptrend", tone: "success", Icon: TrendingUp },
  sideways: { label: "Sideways", tone: "secondary", Icon: Minus },
  downtrend: { label: "Downtrend", tone: "destructive", Icon: TrendingDown },
  strong_downtrend: { label: "Strong downtrend", tone: "destructive", Icon: TrendingDown },
};
const VOL: Record<Insight["volatility_regime"], "success" | "secondary" | "warning" | "destructive"> = {
  low: "success",
  normal: "secondary",
  high: "warning",
  extreme: "destructive",
};

function SentimentGauge({ score }: { score: number }) {
  const pct = ((score + 1) / 2) * 100;
  const label = score > 0.15 ? "bullish" : score < -0.15 ? "bearish" : "neutral";
  return (
    <div>
      <div className="flex items-baseline justify-between text-xs text-muted-foreground">
        <span>Bearish</span>
        <span className="text-sm font-semibold text-foreground">
          {fmtNum(score)} · {label}
        </span>
        <span>Bullish</span>
      </div>
      <div
        role="meter"
        aria-label="Sentiment score"
        aria-valuemin={-1}
        aria-valuemax={1}
        aria-valuenow={score}
        aria-valuetext={`${fmtNum(score)}, ${label}`}
        className="relative mt-1 h-2 rounded-full bg-gradient-to-r from-destructive/70 via-muted-foreground/30 to-success/70"
      >
        <span className="absolute top-1/2 size-3.5 -translate-x-1/2 -translate-y-1/2 rounded-full border-2 border-background bg-foreground" style={{ left: `${pct}%` }} />
      </div>
    </div>
  );
}

export function InsightWidget({ insight }: { insight: Insight }) {
  const t = TREND[insight.trend_state];
  const derivs = Object.entries(insight.derivations ?? {});
  return (
    <section aria-labelledby="insight-heading" className="grid min-w-0 grid-cols-[minmax(0,1fr)] gap-3" data-testid="insight">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="insight-heading" className="font-semibold">
          Market insight
        </h2>
        <span className="text-xs text-muted-foreground">as of {fmtDateTime(insight.as_of)}</span>
      </div>
      <div className="flex flex-wrap gap-2">
        <Badge variant={t.tone}>
          <t.Icon className="size-3.5" aria-hidden /> {t.label}
        </Badge>
        <Badge variant={VOL[insight.volatility_regime]}>{humanize(insight.volatility_regime)} volatility</Badge>
        {insight.risk_flag ? (
          <Badge variant="destructive">
            <AlertTriangle className="size-3.5" aria-hidden /> Risk flag
          </Badge>
        ) : null}
      </div>
      <dl className="grid grid-cols-2 gap-2 text-sm">
        <div className="rounded-lg border p-2">
          <dt className="text-xs text-muted-foreground">Momentum</dt>
          <dd className={cn("tabular font-semibold", (insight.momentum_pct ?? 0) > 0 ? "text-success" : (insight.momentum_pct ?? 0) < 0 ? "text-destructive" : "")}>
            {fmtPct(insight.momentum_pct)}
          </dd>
        </div>
        <div className="rounded-lg border p-2">
          <dt className="text-xs text-muted-foreground">Drawdown from high</dt>
          <dd className="tabular font-semibold">{insight.drawdown_pct != null ? fmtPct(-Math.abs(insight.drawdown_pct), 2, false) : "—"}</dd>
        </div>
      </dl>
      <div className="rounded-lg border p-3">
        <p className="mb-2 text-xs font-medium text-muted-foreground">Sentiment</p>
        {insight.sentiment_score != null ? <SentimentGauge score={insight.sentiment_score} /> : <p className="text-sm">Not available.</p>}
        {insight.sentiment_reason ? <p className="mt-2 text-xs text-muted-foreground">{insight.sentiment_reason}</p> : null}
      </div>
      {insight.risk_reasons?.length ? (
        <div className="rounded-lg border border-destructive/40 bg-destructive/5 p-3 text-sm">
          <p className="font-medium">Why the risk flag</p>
          <ul className="mt-1 list-disc pl-5">
            {insight.risk_reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {insight.recommended_strategy_types?.length ? (
        <div>
          <p className="mb-1 text-xs font-medium text-muted-foreground">Strategy types that suit this regime</p>
          <div className="flex flex-wrap gap-1.5">
            {insight.recommended_strategy_types.map((s) => (
              <Badge key={s} variant="outline">
                {humanize(s)}
              </Badge>
            ))}
          </div>
        </div>
      ) : null}
      {derivs.length ? (
        <details className="min-w-0 rounded-lg border p-3 text-sm" data-testid="insight-derivations">
          <summary className="cursor-pointer font-medium">How these were computed</summary>
          <dl className="mt-2 grid min-w-0 gap-2">
            {derivs.map(([k, d]) => (
              <div key={k}>
                <dt className="font-medium">{humanize(k)}</dt>
                <dd className="min-w-0 font-mono text-xs text-muted-foreground [overflow-wrap:anywhere]">
                  {humanText(d.formula, { capitalize: false })}
                  {d.inputs && Object.keys(d.inputs).length ? (
                    <span className="block">
                      {Object.entries(d.inputs)
                        .map(([ik, iv]) => `${ik}=${typeof iv === "number" ? fmtNum(iv, 4) : noServerPath(String(iv))}`)
                        .join(", ")}
                    </span>
                  ) : null}
                </dd>
              </div>
            ))}
          </dl>
        </details>
      ) : null}
    </section>
  );
}
