import * as React from "react";
import { CheckCircle2, XCircle } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import type { GateResult } from "@/lib/api/types";
import { fmtNum, humanize } from "@/lib/format";

function show(v: number | boolean | null): string {
  if (v === null) return "—";
  if (typeof v === "boolean") return v ? "yes" : "no";
  return fmtNum(v, Math.abs(v) < 1 && v !== 0 ? 3 : 2);
}

export function GateReport({ gates }: { gates: GateResult[] }) {
  if (!gates.length) return <p className="text-sm text-muted-foreground">No validation gates were evaluated for this run.</p>;
  const passed = gates.filter((g) => g.passed).length;
  const all = passed === gates.length;
  return (
    <section aria-labelledby="gates-heading" className="grid gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <h2 id="gates-heading" className="font-semibold">
          Validation gates
        </h2>
        <Badge variant={all ? "success" : "destructive"} data-testid="gates-summary">
          {passed}/{gates.length} passed
        </Badge>
      </div>
      <ul className="grid gap-1.5">
        {gates.map((g) => (
          <li key={g.name} className="flex items-start gap-2 rounded-lg border p-2 text-sm" data-testid="gate">
            {g.passed ? (
              <CheckCircle2 className="mt-0.5 size-4 shrink-0 text-success" aria-label="passed" />
            ) : (
              <XCircle className="mt-0.5 size-4 shrink-0 text-destructive" aria-label="failed" />
            )}
            <div className="min-w-0 flex-1">
              <p className="font-medium">
                {humanize(g.name)} <span className="sr-only">{g.passed ? "passed" : "failed"}</span>
              </p>
              <p className="text-xs text-muted-foreground">{g.description}</p>
            </div>
            <p className="tabular shrink-0 text-right text-xs">
              <span className="font-medium">{show(g.value)}</span>
              <span className="block text-muted-foreground">threshold {show(g.threshold)}</span>
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
