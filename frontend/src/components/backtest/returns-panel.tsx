"use client";
import * as React from "react";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import type { Series } from "@/lib/api/types";
import { fmtDate, fmtMoney, fmtPct } from "@/lib/format";
import { directionSplit, periodReturns, topDrawdowns } from "@/lib/returns";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Tint by sign and size (capped at ±10 % a month); text stays the foreground colour for contrast. */
function tint(v: number | null, cap = 10): React.CSSProperties | undefined {
  if (v === null || v === 0) return undefined;
  const a = Math.min(1, Math.abs(v) / cap) * 0.38 + 0.06;
  const color = v > 0 ? "var(--success)" : "var(--destructive)";
  return { background: `color-mix(in oklab, ${color} ${Math.round(a * 100)}%, transparent)` };
}

const cell = (v: number | null) => (v === null ? "" : `${v > 0 ? "+" : ""}${v.toFixed(1)}`);

export function MonthlyReturns({ equity }: { equity: Series }) {
  const { months, years } = React.useMemo(() => periodReturns(equity), [equity]);
  const ys = [...months.keys()].sort((a, b) => a - b);
  if (!ys.length) return null;
  return (
    <section aria-labelledby="monthly-heading" className="grid gap-2" data-testid="monthly-returns">
      <h2 id="monthly-heading" className="font-semibold">
        Monthly returns <span className="text-xs font-normal text-muted-foreground">(%, strategy equity)</span>
      </h2>
      <Table caption="Monthly returns in percent by year and month, with the year's return" className="text-xs">
        <THead>
          <TR>
            <TH scope="col" className="sticky left-0 z-10 bg-card">
              Year
            </TH>
            {MONTHS.map((m) => (
              <TH key={m} scope="col" className="text-right">
                {m}
              </TH>
            ))}
            <TH scope="col" className="text-right">
              Year
            </TH>
          </TR>
        </THead>
        <TBody>
          {ys.map((y) => (
            <TR key={y} data-testid="monthly-row">
              <TH scope="row" className="sticky left-0 z-10 bg-card font-medium text-foreground">
                {y}
              </TH>
              {months.get(y)!.map((v, i) => (
                <TD key={i} className="text-right tabular" style={tint(v)} title={v === null ? undefined : `${MONTHS[i]} ${y}: ${fmtPct(v)}`}>
                  {cell(v)}
                </TD>
              ))}
              <TD className="text-right font-semibold tabular" style={tint(years.get(y) ?? null, 30)}>
                {cell(years.get(y) ?? null)}
              </TD>
            </TR>
          ))}
        </TBody>
      </Table>
    </section>
  );
}

export function TopDrawdowns({ equity }: { equity: Series }) {
  const dds = React.useMemo(() => topDrawdowns(equity, 5), [equity]);
  if (!dds.length) return null;
  return (
    <section aria-labelledby="dd-heading" className="grid gap-2" data-testid="top-drawdowns">
      <h2 id="dd-heading" className="font-semibold">
        Worst drawdowns
      </h2>
      <Table caption="The five deepest drawdowns: depth, peak, trough, recovery and durations">
        <THead>
          <TR>
            <TH scope="col" className="text-right">
              Depth
            </TH>
            <TH scope="col">Peak</TH>
            <TH scope="col">Trough</TH>
            <TH scope="col">Recovered</TH>
            <TH scope="col" className="text-right">
              Length <span className="sr-only">in calendar days</span>
            </TH>
            <TH scope="col" className="text-right">
              To recover <span className="sr-only">in calendar days</span>
            </TH>
          </TR>
        </THead>
        <TBody>
          {dds.map((d) => (
            <TR key={d.peak} data-testid="drawdown-row">
              <TD className="text-right font-medium text-destructive">{fmtPct(d.depthPct, 2, false)}</TD>
              <TD>{fmtDate(d.peak)}</TD>
              <TD>{fmtDate(d.trough)}</TD>
              <TD>{d.recovery ? fmtDate(d.recovery) : <span className="text-muted-foreground">not yet</span>}</TD>
              <TD className="text-right">{d.days} d</TD>
              <TD className="text-right">{d.recoveryDays === null ? "—" : `${d.recoveryDays} d`}</TD>
            </TR>
          ))}
        </TBody>
      </Table>
    </section>
  );
}

/** Long and short trades side by side. */
export function DirectionSplit({ trades }: { trades: Parameters<typeof directionSplit>[0] }) {
  const rows = React.useMemo(() => directionSplit(trades), [trades]);
  if (!rows.length) return null;
  return (
    <section aria-labelledby="split-heading" className="grid gap-2" data-testid="direction-split">
      <h2 id="split-heading" className="font-semibold">
        Long and short
      </h2>
      <Table caption="Closed trades by side: count, win rate, average return and total P&L">
        <THead>
          <TR>
            <TH scope="col">Side</TH>
            <TH scope="col" className="text-right">
              Trades
            </TH>
            <TH scope="col" className="text-right">
              Win rate
            </TH>
            <TH scope="col" className="text-right">
              Avg return
            </TH>
            <TH scope="col" className="text-right">
              P&amp;L
            </TH>
          </TR>
        </THead>
        <TBody>
          {rows.map((r) => (
            <TR key={r.side} data-testid="side-row">
              <TH scope="row" className="font-medium capitalize text-foreground">
                {r.side}
              </TH>
              <TD className="text-right">
                {r.trades}
                {r.open ? <span className="text-xs text-muted-foreground"> +{r.open} open</span> : null}
              </TD>
              <TD className="text-right">{r.winRatePct === null ? "—" : `${r.winRatePct.toFixed(1)}%`}</TD>
              <TD className="text-right">{fmtPct(r.avgReturnPct)}</TD>
              <TD className="text-right">{fmtMoney(r.pnl)}</TD>
            </TR>
          ))}
        </TBody>
      </Table>
    </section>
  );
}
