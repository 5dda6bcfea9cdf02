"use client";
import * as React from "react";
import { Play } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import type { StrategySpec, WalkForwardConfig } from "@/lib/api/types";

/** Indicator fields that are not parameters (names, sources, symbols). */
const NOT_TUNABLE = new Set(["id", "kind", "symbol", "source", "leg_a", "leg_b", "annualize"]);

export interface TunableParam {
  key: string; // "fast.window"
  label: string; // "fast · window"
  value: number;
  integer: boolean;
}

/** Numeric parameters of the spec's indicators that walk-forward can re-optimise. */
export function tunableParams(spec: StrategySpec | null | undefined): TunableParam[] {
  const inds = (spec?.indicators ?? []) as Record<string, unknown>[];
  const out: TunableParam[] = [];
  for (const ind of inds) {
    const id = typeof ind.id === "string" ? ind.id : null;
    if (!id) continue;
    for (const [field, v] of Object.entries(ind)) {
      if (NOT_TUNABLE.has(field) || typeof v !== "number") continue;
      out.push({ key: `${id}.${field}`, label: `${id} · ${field.replace(/_/g, " ")}`, value: v, integer: Number.isInteger(v) });
    }
  }
  return out;
}

/** A small grid around the current value: 50 %, 75 %, 100 %, 150 % (whole numbers for windows). */
export function suggestValues(p: TunableParam): number[] {
  const raw = p.integer ? [0.5, 0.75, 1, 1.5].map((f) => Math.max(1, Math.round(p.value * f))) : [-0.5, 0, 0.5].map((d) => +(p.value + d).toFixed(2)).filter((x) => x > 0);
  return [...new Set(raw)].sort((a, b) => a - b);
}

export function parseValues(text: string, integer: boolean): { values: number[]; error: string | null } {
  const parts = text.split(/[,\s]+/).filter(Boolean);
  if (!parts.length) return { values: [], error: "List at least one value, e.g. 10, 20, 30." };
  const values: number[] = [];
  for (const p of parts) {
    const n = Number(p);
    if (!Number.isFinite(n) || n <= 0) return { values: [], error: `“${p}” is not a positive number.` };
    if (integer && !Number.isInteger(n)) return { values: [], error: `“${p}” must be a whole number (it counts bars).` };
    values.push(n);
  }
  return { values: [...new Set(values)].sort((a, b) => a - b), error: null };
}

const OBJECTIVES: { value: WalkForwardConfig["objective"]; label: string }[] = [
  { value: "sharpe_ratio", label: "Sharpe ratio" },
  { value: "total_return_pct", label: "Total return" },
  { value: "calmar_ratio", label: "Calmar ratio" },
  { value: "profit_factor", label: "Profit factor" },
];

export function WalkForwardForm({ spec, bars, busy, onSubmit }: { spec: StrategySpec; bars?: number; busy?: boolean; onSubmit: (wf: WalkForwardConfig) => void }) {
  const params = React.useMemo(() => tunableParams(spec), [spec]);
  const [use, setUse] = React.useState<Record<string, boolean>>(() => Object.fromEntries(params.map((p, i) => [p.key, i < 2])));
  const [grid, setGrid] = React.useState<Record<string, string>>(() => Object.fromEntries(params.map((p) => [p.key, suggestValues(p).join(", ")])));
  const [isBars, setIsBars] = React.useState("504");
  const [oosBars, setOosBars] = React.useState("126");
  const [objective, setObjective] = React.useState<WalkForwardConfig["objective"]>("sharpe_ratio");
  const [tried, setTried] = React.useState(false);

  const parsed = Object.fromEntries(params.map((p) => [p.key, parseValues(grid[p.key] ?? "", p.integer)]));
  const chosen = params.filter((p) => use[p.key]);
  const combos = chosen.reduce((n, p) => n * Math.max(1, parsed[p.key].values.length), 1);
  const isN = Number(isBars);
  const oosN = Number(oosBars);
  const isErr = !Number.isInteger(isN) || isN < 50 ? "At least 50 bars (504 ≈ two years of daily bars)." : null;
  const oosErr = !Number.isInteger(oosN) || oosN < 10 ? "At least 10 bars (126 ≈ six months of daily bars)." : null;
  const windows = bars && !isErr && !oosErr ? Math.max(0, Math.floor((bars - isN) / oosN)) : null;
  const pickErr = chosen.length ? null : "Tick at least one parameter to re-optimise.";
  const gridErr = chosen.some((p) => parsed[p.key].error);
  const fewErr = windows === 0 ? `This run has ${bars} bars: fewer than in-sample + out-of-sample. Shorten the windows.` : null;
  const invalid = !!(isErr || oosErr || pickErr || gridErr || fewErr);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (invalid) return;
    onSubmit({
      parameters: Object.fromEntries(chosen.map((p) => [p.key, parsed[p.key].values])),
      in_sample_bars: isN,
      out_of_sample_bars: oosN,
      objective,
    });
  };

  if (!params.length) return <p className="text-sm text-muted-foreground">This strategy has no numeric indicator parameters to re-optimise.</p>;

  return (
    <form onSubmit={submit} className="grid gap-3" data-testid="walk-forward-form" noValidate>
      <p className="text-sm text-muted-foreground">
        The run is split into windows: parameters are chosen on each in-sample window, then traded unchanged on the next out-of-sample one. The “Out of sample” gate passes when the stitched out-of-sample return is positive.
      </p>
      <fieldset className="grid gap-2">
        <legend className="mb-1 text-sm font-medium">Parameters to re-optimise</legend>
        {params.map((p) => {
          const err = use[p.key] ? parsed[p.key].error : null;
          return (
            <div key={p.key} className="grid gap-1 sm:grid-cols-[12rem_minmax(0,1fr)] sm:items-center">
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" className="size-4 accent-[var(--primary)]" checked={!!use[p.key]} onChange={(e) => setUse((u) => ({ ...u, [p.key]: e.target.checked }))} />
                <span>
                  {p.label} <span className="text-xs text-muted-foreground">(now {p.value})</span>
                </span>
              </label>
              <div className="grid gap-0.5">
                <Input
                  aria-label={`Values to try for ${p.label}`}
                  value={grid[p.key] ?? ""}
                  disabled={!use[p.key]}
                  onChange={(e) => setGrid((g) => ({ ...g, [p.key]: e.target.value }))}
                  aria-invalid={err && tried ? true : undefined}
                  inputMode="decimal"
                />
                {err && tried ? <p className="text-xs font-medium text-destructive">{err}</p> : null}
              </div>
            </div>
          );
        })}
        {pickErr && tried ? <p className="text-xs font-medium text-destructive">{pickErr}</p> : null}
      </fieldset>
      <div className="grid gap-3 sm:grid-cols-3">
        <label className="grid gap-1 text-sm">
          <span className="font-medium">In-sample bars</span>
          <Input inputMode="numeric" value={isBars} onChange={(e) => setIsBars(e.target.value)} aria-invalid={isErr && tried ? true : undefined} />
          {isErr && tried ? <span className="text-xs font-medium text-destructive">{isErr}</span> : <span className="text-xs text-muted-foreground">504 ≈ 2 years of daily bars</span>}
        </label>
        <label className="grid gap-1 text-sm">
          <span className="font-medium">Out-of-sample bars</span>
          <Input inputMode="numeric" value={oosBars} onChange={(e) => setOosBars(e.target.value)} aria-invalid={oosErr && tried ? true : undefined} />
          {oosErr && tried ? <span className="text-xs font-medium text-destructive">{oosErr}</span> : <span className="text-xs text-muted-foreground">126 ≈ 6 months</span>}
        </label>
        <label className="grid gap-1 text-sm">
          <span className="font-medium">Choose parameters by</span>
          <select
            className="h-9 rounded-md border border-input bg-background px-2 text-sm"
            value={objective}
            onChange={(e) => setObjective(e.target.value as WalkForwardConfig["objective"])}
          >
            {OBJECTIVES.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="text-xs text-muted-foreground" data-testid="walk-forward-estimate">
        {combos} combination{combos === 1 ? "" : "s"} per window{windows !== null ? ` × ${windows} window${windows === 1 ? "" : "s"}` : ""}.
      </p>
      {fewErr && tried ? <p className="text-xs font-medium text-destructive">{fewErr}</p> : null}
      <div>
        <Button type="submit" disabled={busy} data-testid="walk-forward-run">
          <Play /> {busy ? "Starting…" : "Run walk-forward"}
        </Button>
      </div>
    </form>
  );
}
