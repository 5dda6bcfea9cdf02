"use client";
import * as React from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { ReasonDialog } from "@/components/trading/reason-dialog";
import { tk, trading, type ReconcileReport } from "@/lib/api/trading";
import { fmtDateTime, humanize } from "@/lib/format";

/** Runs a reconciliation (with a reason) and lists every finding with its classification. */
export function ReconcilePanel({ accountId }: { accountId: string }) {
  const qc = useQueryClient();
  const [open, setOpen] = React.useState(false);
  const [report, setReport] = React.useState<ReconcileReport | null>(null);
  const run = useMutation({
    mutationFn: (reason: string) => trading.reconcile(reason, accountId),
    onSuccess: (r) => {
      setReport(r);
      setOpen(false);
      void qc.invalidateQueries({ queryKey: tk.all });
    },
  });
  const breaks = report?.items.filter((i) => i.kind !== "matched") ?? [];
  return (
    <section aria-labelledby="recon-heading" className="grid gap-2" data-testid="reconcile">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="recon-heading" className="font-semibold">
          Reconciliation
        </h2>
        <Button size="sm" variant="outline" onClick={() => setOpen(true)} data-testid="reconcile-button">
          Reconcile now…
        </Button>
      </div>
      {!report ? (
        <p className="text-sm text-muted-foreground">It also runs at start and on a timer; breaks open exceptions below. Run it now to see every finding.</p>
      ) : (
        <>
          <p className="text-sm" data-testid="reconcile-summary">
            {fmtDateTime(report.at)}: {report.items.length} finding{report.items.length === 1 ? "" : "s"}, {breaks.length} break{breaks.length === 1 ? "" : "s"}
            {report.exceptions_opened ? `, ${report.exceptions_opened} exception(s) opened` : ""}
            {report.halted ? " — the account is halted" : ""}.
          </p>
          {report.items.length ? (
            <Table caption="Reconciliation findings">
              <THead>
                <TR>
                  <TH>Classification</TH>
                  <TH>Symbol</TH>
                  <TH className="text-right">Qty</TH>
                  <TH>Detail</TH>
                </TR>
              </THead>
              <TBody>
                {report.items.map((i, n) => (
                  <TR key={n} data-testid="reconcile-item">
                    <TD>
                      <Badge variant={i.kind === "matched" ? "success" : i.halts ? "destructive" : "warning"}>{humanize(i.kind)}</Badge>
                    </TD>
                    <TD>{i.symbol ?? "—"}</TD>
                    <TD className="text-right">{i.qty ?? "—"}</TD>
                    <TD className="whitespace-normal">{i.detail}</TD>
                  </TR>
                ))}
              </TBody>
            </Table>
          ) : null}
        </>
      )}
      <ReasonDialog
        open={open}
        onOpenChange={setOpen}
        title="Reconcile with the broker?"
        description="Compares our orders, fills and positions with the broker's. It never re-sends anything; unattributed activity, ambiguity or a break above the tolerance halts the account and opens an exception."
        confirmLabel="Reconcile"
        busy={run.isPending}
        error={run.error}
        onConfirm={(r) => run.mutate(r)}
        testId="reconcile-dialog"
      />
    </section>
  );
}
