"use client";
import * as React from "react";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import type { Series } from "@/lib/api/types";
import { fmtDate, fmtPct } from "@/lib/format";
import { periodReturns, topDrawdowns } from "@/lib/returns";

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
