"use client";
import * as React from "react";
import Link from "next/link";
import { AlertTriangle, Pencil, Play } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button, buttonClass } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { CodeView } from "@/components/strategy/code-view";
import { DiffView } from "@/components/strategy/diff-view";
import { ExplanationView } from "@/components/strategy/explanation-view";
import type { ChatReply, StrategySpec } from "@/lib/api/types";
import { normalizeDiff } from "@/lib/diff";
import { specText } from "@/lib/spec-key-order";

export interface StrategyCardProps {
  reply: Pick<ChatReply, "strategy_id" | "version" | "spec" | "code" | "explanation" | "warnings" | "diff" | "safety_report"> & { assumptions?: string[] };
  onRun?: () => void;
  running?: boolean;
}

function specSummary(spec: StrategySpec): string[] {
  const out: string[] = [];
  const u = spec.universe;
  if (u?.symbols?.length) out.push(u.symbols.join(", "));
  if (u?.timeframe) out.push(String(u.timeframe));
  const p = spec.period;
  if (p && (p.start || p.end)) out.push(`${p.start ? String(p.start).slice(0, 10) : "…"} → ${p.end ? String(p.end).slice(0, 10) : "now"}`);
  if (spec.direction) out.push(spec.direction);
  return out;
}

export function StrategyCard({ reply, onRun, running }: StrategyCardProps) {
  const { spec, code, explanation, warnings, diff } = reply;
  const hasDiff = normalizeDiff(diff).type !== "none";
  const [tab, setTab] = React.useState(hasDiff ? "changes" : "explanation");
  if (!spec) return null;
  return (
    <Card className="w-full min-w-0" data-testid="strategy-card">
      <CardHeader>
        <div className="flex flex-wrap items-center gap-2">
          <CardTitle as="h3" className="text-base">
            {spec.name}
          </CardTitle>
          {reply.version ? <Badge variant="secondary">v{reply.version}</Badge> : null}
        </div>
        <CardDescription className="flex flex-wrap gap-1.5">
          {specSummary(spec).map((s) => (
            <Badge key={s} variant="outline" className="font-normal">
              {s}
            </Badge>
          ))}
        </CardDescription>
      </CardHeader>
      <CardContent className="grid min-w-0 grid-cols-[minmax(0,1fr)] gap-3">
        {warnings?.length ? (
          <div role="note" aria-label="Warnings" className="rounded-lg border border-warning/40 bg-warning/10 p-3 text-sm">
            <p className="flex items-center gap-1.5 font-medium">
              <AlertTriangle className="size-4 text-warning" aria-hidden /> {warnings.length === 1 ? "1 warning" : `${warnings.length} warnings`}
            </p>
            <ul className="mt-1 list-disc break-words pl-5">
              {warnings.map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ul>
          </div>
        ) : null}
        <Tabs value={tab} onValueChange={setTab} className="min-w-0">
          <TabsList aria-label="Strategy details">
            <TabsTrigger value="explanation">Explanation</TabsTrigger>
            <TabsTrigger value="spec">Spec</TabsTrigger>
            <TabsTrigger value="code">Code</TabsTrigger>
            {hasDiff ? <TabsTrigger value="changes">Changes</TabsTrigger> : null}
          </TabsList>
          <TabsContent value="explanation">
            <ExplanationView explanation={explanation} assumptions={reply.assumptions} />
          </TabsContent>
          <TabsContent value="spec">
            <CodeView code={specText(spec)} lang="json" label="StrategySpec JSON" />
          </TabsContent>
          <TabsContent value="code">
            {reply.safety_report ? (
              <p className="mb-2 flex flex-wrap items-center gap-2 text-xs" data-testid="safety-report">
                <Badge variant={reply.safety_report.ok ? "success" : "destructive"}>
                  {reply.safety_report.ok ? "passed sandbox checks" : `${reply.safety_report.violations?.length ?? 0} sandbox violations`}
                </Badge>
                {reply.safety_report.generated_from_spec ? <span className="text-muted-foreground">Generated from the validated spec, not written by the model.</span> : null}
                {reply.safety_report.note ? <span className="text-muted-foreground">{reply.safety_report.note}</span> : null}
              </p>
            ) : null}
            {code ? <CodeView code={code} lang="python" label="Generated Python" /> : <p className="text-sm text-muted-foreground">No code was generated for this spec.</p>}
          </TabsContent>
          {hasDiff ? (
            <TabsContent value="changes">
              <DiffView diff={diff} />
            </TabsContent>
          ) : null}
        </Tabs>
      </CardContent>
      <CardFooter className="flex-wrap">
        {onRun ? (
          <Button onClick={onRun} disabled={running} data-testid="run-backtest">
            <Play /> {running ? "Starting…" : "Run backtest"}
          </Button>
        ) : null}
        {reply.strategy_id ? (
          <Link className={buttonClass("outline")} href={`/editor/?id=${encodeURIComponent(reply.strategy_id)}`}>
            <Pencil /> Edit spec
          </Link>
        ) : null}
      </CardFooter>
    </Card>
  );
}
