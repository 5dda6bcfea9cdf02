"use client";
import * as React from "react";
import { ArrowDown, ArrowUp, ArrowUpDown } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import type { Trade } from "@/lib/api/types";
import { EXIT_REASON_LABEL, fmtDate, fmtMoney, fmtNum, fmtPct } from "@/lib/format";
import { cn } from "@/lib/utils";

export type SortKey = "entry_time" | "exit_time" | "direction" | "entry_price" | "exit_price" | "return_pct" | "pnl" | "duration_bars" | "exit_reason";
export type SortDir = "asc" | "desc";

/** `wide`: shown from 768 px; phones keep entry, return, P&L and exit reason (and say so). */
const COLUMNS: { key: SortKey; label: string; short?: string; numeric?: boolean; wide?: boolean }[] = [
  { key: "entry_time", label: "Entry" },
  { key: "exit_time", label: "Exit", wide: true },
  { key: "direction", label: "Side", wide: true },
  { key: "entry_price", label: "Entry price", numeric: true, wide: true },
  { key: "exit_price", label: "Exit price", numeric: true, wide: true },
  { key: "return_pct", label: "Return", numeric: true },
  { key: "pnl", label: "P&L", numeric: true },
  { key: "duration_bars", label: "Bars", numeric: true, wide: true },
  { key: "exit_reason", label: "Exit reason", short: "Exit" },
];

/** Stable sort; nulls (open trades) always last. */
export function sortTrades(trades: Trade[], key: SortKey, dir: SortDir): Trade[] {
  const mul = dir === "asc" ? 1 : -1;
  return trades
    .map((t, i) => ({ t, i }))
    .sort((a, b) => {
      const va = a.t[key] ?? null;
      const vb = b.t[key] ?? null;
      if (va === null && vb === null) return a.i - b.i;
      if (va === null) return 1;
      if (vb === null) return -1;
      const c = typeof va === "number" && typeof vb === "number" ? va - vb : String(va).localeCompare(String(vb));
      return c !== 0 ? c * mul : a.i - b.i;
    })
    .map((x) => x.t);
}

const PAGE = 50;
const WIDE = "hidden md:table-cell";

export function TradeLog({ trades, onShow }: { trades: Trade[]; onShow?: (t: Trade) => void }) {
  const [sort, setSort] = React.useState<{ key: SortKey; dir: SortDir }>({ key: "entry_time", dir: "asc" });
  const [limit, setLimit] = React.useState(PAGE);
  const sorted = React.useMemo(() => sortTrades(trades, sort.key, sort.dir), [trades, sort]);
  if (!trades.length) return <p className="text-sm text-muted-foreground">No trades: the entry condition never fired in this period.</p>;
  const toggle = (key: SortKey) =>
    setSort((s) => (s.key === key ? { key, dir: s.dir === "asc" ? "desc" : "asc" } : { key, dir: key === "entry_time" || key === "exit_time" ? "asc" : "desc" }));
  return (
    <div className="grid grid-cols-[minmax(0,1fr)] gap-2">
      <p className="text-xs text-muted-foreground md:hidden" data-testid="trade-columns-hint">
        Showing entry date, return, P&amp;L and exit reason. Exit date, side, prices and bars are in the CSV or on a wider screen.
      </p>
      <Table caption={`Trade log, ${trades.length} trades, sorted by ${sort.key} ${sort.dir === "asc" ? "ascending" : "descending"}`} data-testid="trade-log">
        <THead>
          <TR>
            <TH scope="col" className="hidden w-10 md:table-cell">
              #
            </TH>
            {COLUMNS.map((c) => {
              const active = sort.key === c.key;
              const Icon = !active ? ArrowUpDown : sort.dir === "asc" ? ArrowUp : ArrowDown;
              return (
                <TH key={c.key} scope="col" aria-sort={active ? (sort.dir === "asc" ? "ascending" : "descending") : "none"} className={cn(c.numeric && "text-right", c.wide && "hidden md:table-cell")}>
                  <button
                    type="button"
                    aria-label={c.short ? c.label : undefined}
                    onClick={() => toggle(c.key)}
                    className={cn("inline-flex cursor-pointer items-center gap-1 rounded px-0.5 hover:text-foreground sm:px-1", active && "text-foreground")}
                  >
                    {c.short ? (
                      <>
                        <span className="md:hidden">{c.short}</span>
                        <span className="hidden md:inline">{c.label}</span>
                      </>
                    ) : (
                      c.label
                    )}
                    <Icon className="size-3" aria-hidden />
                  </button>
                </TH>
              );
            })}
          </TR>
        </THead>
        <TBody>
          {sorted.slice(0, limit).map((t, i) => (
            <TR key={`${t.entry_time}-${i}`} data-testid="trade-row">
              <TD className="hidden text-muted-foreground md:table-cell">{i + 1}</TD>
              <TD>
                {onShow ? (
                  <button
                    type="button"
                    className="cursor-pointer text-primary underline-offset-4 hover:underline"
                    onClick={() => onShow(t)}
                    aria-label={`${fmtDate(t.entry_time)}: show this trade on the chart`}
                    data-testid="show-trade"
                  >
                    {fmtDate(t.entry_time)}
                  </button>
                ) : (
                  fmtDate(t.entry_time)
                )}
              </TD>
              <TD className={WIDE}>{t.is_open ? <Badge variant="secondary">open</Badge> : fmtDate(t.exit_time)}</TD>
              <TD className={WIDE}>{t.direction}</TD>
              <TD className={cn("text-right", WIDE)}>{fmtNum(t.entry_price)}</TD>
              <TD className={cn("text-right", WIDE)}>{fmtNum(t.exit_price)}</TD>
              <TD className={cn("text-right font-medium", t.return_pct > 0 ? "text-success" : t.return_pct < 0 ? "text-destructive" : "")}>{fmtPct(t.return_pct)}</TD>
              <TD className={cn("text-right", t.pnl > 0 ? "text-success" : t.pnl < 0 ? "text-destructive" : "")}>{fmtMoney(t.pnl)}</TD>
              <TD className={cn("text-right", WIDE)}>{t.duration_bars}</TD>
              <TD>{t.is_open ? (<><span className="md:hidden">still open</span><span className="hidden md:inline">—</span></>) : t.exit_reason ? EXIT_REASON_LABEL[t.exit_reason] ?? t.exit_reason : "—"}</TD>
            </TR>
          ))}
        </TBody>
      </Table>
      {sorted.length > limit ? (
        <Button variant="outline" size="sm" className="justify-self-center" onClick={() => setLimit((l) => l + PAGE * 4)}>
          Show more ({sorted.length - limit} left)
        </Button>
      ) : null}
    </div>
  );
}
