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

const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: "entry_time", label: "Entry" },
  { key: "exit_time", label: "Exit" },
  { key: "direction", label: "Side" },
  { key: "entry_price", label: "Entry price", numeric: true },
  { key: "exit_price", label: "Exit price", numeric: true },
  { key: "return_pct", label: "Return", numeric: true },
  { key: "pnl", label: "P&L", numeric: true },
  { key: "duration_bars", label: "Bars", numeric: true },
  { key: "exit_reason", label: "Exit reason" },
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

export function TradeLog({ trades }: { trades: Trade[] }) {
  const [sort, setSort] = React.useState<{ key: SortKey; dir: SortDir }>({ key: "entry_time", dir: "asc" });
  const [limit, setLimit] = React.useState(PAGE);
  const sorted = React.useMemo(() => sortTrades(trades, sort.key, sort.dir), [trades, sort]);
  if (!trades.length) return <p className="text-sm text-muted-foreground">No trades: the entry condition never fired in this period.</p>;
  const toggle = (key: SortKey) =>
    setSort((s) => (s.key === key ? { key, dir: s.dir === "asc" ? "desc" : "asc" } : { key, dir: key === "entry_time" || key === "exit_time" ? "asc" : "desc" }));
  return (
    <div className="grid gap-2">
      <Table caption={`Trade log, ${trades.length} trades, sorted by ${sort.key} ${sort.dir === "asc" ? "ascending" : "descending"}`} data-testid="trade-log">
        <THead>
          <TR>
            <TH scope="col" className="w-10">
              #
            </TH>
            {COLUMNS.map((c) => {
              const active = sort.key === c.key;
              const Icon = !active ? ArrowUpDown : sort.dir === "asc" ? ArrowUp : ArrowDown;
              return (
                <TH key={c.key} scope="col" aria-sort={active ? (sort.dir === "asc" ? "ascending" : "descending") : "none"} className={cn(c.numeric && "text-right")}>
                  <button
                    type="button"
                    onClick={() => toggle(c.key)}
                    className={cn("inline-flex cursor-pointer items-center gap-1 rounded px-1 hover:text-foreground", active && "text-foreground")}
                  >
                    {c.label}
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
              <TD className="text-muted-foreground">{i + 1}</TD>
              <TD>{fmtDate(t.entry_time)}</TD>
              <TD>{t.is_open ? <Badge variant="secondary">open</Badge> : fmtDate(t.exit_time)}</TD>
              <TD>{t.direction}</TD>
              <TD className="text-right">{fmtNum(t.entry_price)}</TD>
              <TD className="text-right">{fmtNum(t.exit_price)}</TD>
              <TD className={cn("text-right font-medium", t.return_pct > 0 ? "text-success" : t.return_pct < 0 ? "text-destructive" : "")}>{fmtPct(t.return_pct)}</TD>
              <TD className={cn("text-right", t.pnl > 0 ? "text-success" : t.pnl < 0 ? "text-destructive" : "")}>{fmtMoney(t.pnl)}</TD>
              <TD className="text-right">{t.duration_bars}</TD>
              <TD>{t.exit_reason ? EXIT_REASON_LABEL[t.exit_reason] ?? t.exit_reason : "—"}</TD>
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
