import type { Series, Trade } from "@/lib/api/types";

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = typeof v === "number" ? (Number.isFinite(v) ? String(v) : "") : String(v);
  // Quote when needed; neutralise spreadsheet formula injection on text cells.
  const safe = typeof v === "string" && /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCSV<T>(rows: T[], columns: { header: string; value: (r: T) => unknown }[]): string {
  const lines = [columns.map((c) => csvCell(c.header)).join(",")];
  for (const r of rows) lines.push(columns.map((c) => csvCell(c.value(r))).join(","));
  return lines.join("\r\n") + "\r\n";
}

export const TRADE_COLUMNS: { header: string; value: (t: Trade) => unknown }[] = [
  { header: "symbol", value: (t) => t.symbol },
  { header: "direction", value: (t) => t.direction },
  { header: "entry_time", value: (t) => t.entry_time },
  { header: "entry_price", value: (t) => t.entry_price },
  { header: "exit_time", value: (t) => t.exit_time },
  { header: "exit_price", value: (t) => t.exit_price },
  { header: "exit_reason", value: (t) => t.exit_reason ?? "" },
  { header: "size", value: (t) => t.size },
  { header: "pnl", value: (t) => t.pnl },
  { header: "return_pct", value: (t) => t.return_pct },
  { header: "fees", value: (t) => t.fees },
  { header: "duration_bars", value: (t) => t.duration_bars },
  { header: "is_open", value: (t) => (t.is_open ? "true" : "false") },
];

export function tradesToCSV(trades: Trade[]): string {
  return toCSV(trades, TRADE_COLUMNS);
}

export function equityToCSV(equity: Series, drawdown?: Series | null, benchmark?: Series | null): string {
  const dd = new Map((drawdown?.timestamps ?? []).map((t, i) => [t, drawdown!.values[i]]));
  const bm = new Map((benchmark?.timestamps ?? []).map((t, i) => [t, benchmark!.values[i]]));
  const rows = equity.timestamps.map((t, i) => ({ t, v: equity.values[i] }));
  const cols: { header: string; value: (r: { t: string; v: number | null }) => unknown }[] = [
    { header: "timestamp", value: (r) => r.t },
    { header: "equity", value: (r) => r.v },
  ];
  if (drawdown) cols.push({ header: "drawdown_pct", value: (r) => dd.get(r.t) ?? null });
  if (benchmark) cols.push({ header: "benchmark", value: (r) => bm.get(r.t) ?? null });
  return toCSV(rows, cols);
}

export function downloadText(filename: string, text: string, mime = "text/csv;charset=utf-8"): void {
  const blob = new Blob([text], { type: mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
