import * as React from "react";
import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { Money } from "@/components/trading/env";
import { num, type PnL, type Position } from "@/lib/api/trading";
import type { Series } from "@/lib/api/types";

/** The qualifying backtest's equity over the deployment's period, rescaled to its capital. */
export function expectation(bt: Series | undefined, pnl: PnL | undefined): Series | null {
  if (!bt || !pnl?.curve.length) return null;
  const from = pnl.curve[0].ts.slice(0, 10);
  const to = pnl.curve[pnl.curve.length - 1].ts.slice(0, 10);
  const idx = bt.timestamps.map((t, i) => [t, i] as const).filter(([t]) => t.slice(0, 10) >= from && t.slice(0, 10) <= to);
  if (!idx.length) return null;
  const base = bt.values[idx[0][1]];
  if (!base) return null;
  const cap = Number(pnl.capital);
  return { timestamps: idx.map(([t]) => t), values: idx.map(([, i]) => (bt.values[i] === null ? null : (bt.values[i]! / base) * cap)) };
}

export function PositionsTable({ positions, caption, showDeployment }: { positions: Position[]; caption: string; showDeployment?: boolean }) {
  if (!positions.length) return <p className="text-sm text-muted-foreground">No positions.</p>;
  return (
    <Table caption={caption} data-testid="positions-table">
      <THead>
        <TR>
          {showDeployment ? <TH>Deployment</TH> : null}
          <TH>Symbol</TH>
          <TH className="text-right">Qty</TH>
          <TH className="text-right">Avg price</TH>
          <TH className="text-right">Last</TH>
          <TH className="text-right">Unrealized</TH>
          <TH className="text-right">Realized</TH>
        </TR>
      </THead>
      <TBody>
        {positions.map((p) => (
          <TR key={`${p.deployment_id}-${p.symbol}`} data-testid="position-row">
            {showDeployment ? (
              <TD>
                {p.deployment_id ? (
                  <Link className="text-primary underline" href={`/trading/deployment/?id=${encodeURIComponent(p.deployment_id)}`}>
                    {p.deployment_id.slice(0, 8)}
                  </Link>
                ) : (
                  <Badge variant="warning">unattributed</Badge>
                )}
              </TD>
            ) : null}
            <TD>{p.symbol}</TD>
            <TD className="text-right">{p.qty}</TD>
            <TD className="text-right">{num(p.avg_price)?.toFixed(2) ?? "—"}</TD>
            <TD className="text-right">{num(p.last_price)?.toFixed(2) ?? "—"}</TD>
            <TD className="text-right">
              <Money v={num(p.unrealized_pnl)} signed />
            </TD>
            <TD className="text-right">
              <Money v={num(p.realized_pnl)} signed />
            </TD>
          </TR>
        ))}
      </TBody>
    </Table>
  );
}


/** Positions grouped by deployment, the unattributed bucket last. */
export function groupPositions(positions: Position[]): { key: string; deploymentId: string | null; items: Position[] }[] {
  const m = new Map<string | null, Position[]>();
  for (const p of positions) m.set(p.deployment_id, [...(m.get(p.deployment_id) ?? []), p]);
  const groups = [...m.entries()].map(([deploymentId, items]) => ({ key: deploymentId ?? "unattributed", deploymentId, items }));
  return groups.sort((a, b) => (a.deploymentId === null ? 1 : b.deploymentId === null ? -1 : a.key.localeCompare(b.key)));
}

