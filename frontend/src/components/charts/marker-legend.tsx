import * as React from "react";
import type { Trade } from "@/lib/api/types";
import { ENTRY_LONG, ENTRY_SHORT, EXIT_STYLE } from "@/components/charts/palette";

export function MarkerLegend({ trades }: { trades: Trade[] }) {
  const counts = new Map<string, number>();
  let longs = 0;
  let shorts = 0;
  for (const t of trades) {
    if (t.direction === "long") longs++;
    else shorts++;
    if (t.exit_time && !t.is_open) counts.set(t.exit_reason ?? "signal", (counts.get(t.exit_reason ?? "signal") ?? 0) + 1);
  }
  const items: { color: string; label: string; n: number; shape: string }[] = [];
  if (longs) items.push({ color: ENTRY_LONG.color, label: ENTRY_LONG.label, n: longs, shape: "▲" });
  if (shorts) items.push({ color: ENTRY_SHORT.color, label: ENTRY_SHORT.label, n: shorts, shape: "▼" });
  for (const [reason, n] of counts) {
    const s = EXIT_STYLE[reason] ?? EXIT_STYLE.signal;
    items.push({ color: s.color, label: `${s.label} (${s.code})`, n, shape: s.shape === "square" ? "■" : "●" });
  }
  return (
    <ul aria-label="Chart markers" className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-muted-foreground" data-testid="marker-legend">
      {items.map((i) => (
        <li key={i.label} className="inline-flex items-center gap-1">
          <span aria-hidden style={{ color: i.color }}>
            {i.shape}
          </span>
          {i.label}: <span className="tabular font-medium text-foreground">{i.n}</span>
        </li>
      ))}
    </ul>
  );
}
