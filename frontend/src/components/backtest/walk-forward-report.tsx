import * as React from "react";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import type { WalkForwardReport } from "@/lib/api/types";
import { fmtDate, fmtNum, fmtPct } from "@/lib/format";
import { cn } from "@/lib/utils";

/** Each walk-forward window: when it learned, what it picked, how it did out of sample. */
export function WalkForwardReportView({ report }: { report: WalkForwardReport }) {
  const positive = report.windows.filter((w) => w.out_of_sample_return_pct > 0).length;
  return (
    <section aria-labelledby="wf-heading" className="grid gap-3" data-testid="walk-forward-report">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="wf-heading" className="font-semibold">
          Walk-forward, out of sample
        </h2>
        <p className="text-xs text-muted-foreground">
          {report.windows.length} windows · {positive} with a positive out-of-sample return
        </p>
      </div>
      <dl className="grid grid-cols-2 gap-2 text-sm sm:grid-cols-3">
        <div className="rounded-lg border p-2">
          <dt className="text-xs text-muted-foreground">Out-of-sample return</dt>
          <dd className={cn("tabular text-lg font-semibold", report.oos_total_return_pct > 0 ? "text-success" : "text-destructive")} data-testid="oos-return">
            {fmtPct(report.oos_total_return_pct)}
          </dd>
        </div>
        <div className="rounded-lg border p-2">
          <dt className="text-xs text-muted-foreground">Out-of-sample Sharpe</dt>
          <dd className="tabular text-lg font-semibold">{fmtNum(report.oos_sharpe_ratio)}</dd>
        </div>
      </dl>
      <p className="text-xs text-muted-foreground md:hidden">In-sample periods and scores are shown on a wider screen.</p>
      <Table caption="Walk-forward windows: out-of-sample period and return, chosen parameters, in-sample period and score">
        <THead>
          <TR>
            <TH scope="col" className="hidden md:table-cell">#</TH>
            <TH scope="col">Traded on</TH>
            <TH scope="col" className="whitespace-normal text-right">
              Out-of-sample return
            </TH>
            <TH scope="col">Chosen parameters</TH>
            <TH scope="col" className="hidden md:table-cell">Learned on</TH>
            <TH scope="col" className="hidden text-right md:table-cell">In-sample score</TH>
          </TR>
        </THead>
        <TBody>
          {report.windows.map((w, i) => (
            <TR key={w.out_of_sample_start} data-testid="wf-window">
              <TD className="hidden text-muted-foreground md:table-cell">{i + 1}</TD>
              <TD className="whitespace-normal md:whitespace-nowrap">
                {fmtDate(w.out_of_sample_start)} <span className="whitespace-nowrap">– {fmtDate(w.out_of_sample_end)}</span>
              </TD>
              <TD className={cn("text-right font-medium", w.out_of_sample_return_pct > 0 ? "text-success" : w.out_of_sample_return_pct < 0 ? "text-destructive" : "")}>
                {fmtPct(w.out_of_sample_return_pct)}
              </TD>
              <TD className="whitespace-normal text-xs">
                {Object.entries(w.best_params).map(([k, v]) => (
                  <span key={k} className="block">
                    {k.replace(".", " ")} <span className="font-medium tabular">{fmtNum(v, Number.isInteger(v) ? 0 : 2)}</span>
                  </span>
                ))}
              </TD>
              <TD className="hidden md:table-cell">
                {fmtDate(w.in_sample_start)} – {fmtDate(w.in_sample_end)}
              </TD>
              <TD className="hidden text-right md:table-cell">{fmtNum(w.in_sample_score)}</TD>
            </TR>
          ))}
        </TBody>
      </Table>
    </section>
  );
}
