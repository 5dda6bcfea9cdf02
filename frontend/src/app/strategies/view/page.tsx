"use client";
import * as React from "react";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Pencil, Play, Trash2 } from "lucide-react";
import { toast } from "@/lib/toast";
import { AppShell, PageHeader } from "@/components/layout/app-shell";
import { EmptyState, ProblemAlert, problemOf } from "@/components/problem";
import { CodeView } from "@/components/strategy/code-view";
import { ChangeList, DiffView } from "@/components/strategy/diff-view";
import { Badge } from "@/components/ui/badge";
import { Button, buttonClass } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent, DialogDescription, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Label } from "@/components/ui/label";
import { Select } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/progress";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { strategies } from "@/lib/api/endpoints";
import { jsonDiff, normalizeDiff } from "@/lib/diff";
import { fmtDateTime } from "@/lib/format";
import { specText } from "@/lib/spec-key-order";
import { useRunBacktest } from "@/lib/use-run-backtest";

function View() {
  const id = useSearchParams().get("id");
  const router = useRouter();
  const qc = useQueryClient();
  const strategy = useQuery({ queryKey: ["strategy", id], queryFn: () => strategies.get(id!), enabled: !!id });
  const versions = useQuery({ queryKey: ["strategy", id, "versions"], queryFn: () => strategies.versions(id!), enabled: !!id });
  const { run, running } = useRunBacktest();
  const sorted = React.useMemo(() => [...(versions.data ?? [])].sort((a, b) => b.version - a.version), [versions.data]);
  const [left, setLeft] = React.useState<string>("");
  const [right, setRight] = React.useState<string>("");
  React.useEffect(() => {
    if (sorted.length && !right) {
      setRight(String(sorted[0].version));
      setLeft(String(sorted[Math.min(1, sorted.length - 1)].version));
    }
  }, [sorted, right]);

  if (!id) return <EmptyState title="No strategy selected" />;
  if (strategy.isPending) return <Skeleton className="h-96 w-full" />;
  if (strategy.isError) return <ProblemAlert error={strategy.error} />;
  const s = strategy.data;
  const a = sorted.find((v) => String(v.version) === left);
  const b = sorted.find((v) => String(v.version) === right);
  const latest = sorted[0];
  const remove = async () => {
    try {
      await strategies.remove(id);
      toast.success(`Deleted “${s.name ?? "strategy"}”`);
      await qc.invalidateQueries({ queryKey: ["strategies"] });
      router.replace("/strategies/");
    } catch (err) {
      const p = problemOf(err);
      toast.error(p.title, { description: p.detail ?? undefined });
    }
  };
  const opts = sorted.map((v) => ({ value: String(v.version), label: `v${v.version}${v.created_at ? ` · ${fmtDateTime(v.created_at)}` : ""}` }));
  const computed = a && b ? jsonDiff(a.spec ?? {}, b.spec ?? {}) : [];
  return (
    <>
      <PageHeader
        title={s.name ?? "Untitled strategy"}
        description={`${sorted.length} version${sorted.length === 1 ? "" : "s"}`}
        actions={
          <>
            <Button onClick={() => run({ strategy_id: id })} disabled={running}>
              <Play /> Run backtest
            </Button>
            <Link className={buttonClass("outline")} href={`/editor/?id=${encodeURIComponent(id)}`}>
              <Pencil /> Edit
            </Link>
            <Dialog>
              <DialogTrigger asChild>
                <Button variant="outline" aria-label="Delete strategy">
                  <Trash2 />
                </Button>
              </DialogTrigger>
              <DialogContent>
                <DialogTitle>Delete “{s.name ?? "this strategy"}”?</DialogTitle>
                <DialogDescription>Its versions disappear from your lists. Backtests already run keep their results.</DialogDescription>
                <div className="flex justify-end gap-2">
                  <DialogClose asChild>
                    <Button variant="outline">Cancel</Button>
                  </DialogClose>
                  <Button variant="destructive" onClick={remove}>
                    Delete
                  </Button>
                </div>
              </DialogContent>
            </Dialog>
          </>
        }
      />
      {versions.isError ? <ProblemAlert error={versions.error} /> : null}
      <Tabs defaultValue="changes">
        <TabsList aria-label="Strategy history">
          <TabsTrigger value="changes">Versions &amp; changes</TabsTrigger>
          <TabsTrigger value="spec">Latest spec</TabsTrigger>
          <TabsTrigger value="code">Code</TabsTrigger>
        </TabsList>
        <TabsContent value="changes" className="grid gap-4">
          {sorted.length > 1 ? (
            <div className="grid gap-3 rounded-xl border bg-card p-4">
              <div className="flex flex-wrap items-end gap-3">
                <div className="grid gap-1">
                  <Label htmlFor="from-version">From</Label>
                  <Select id="from-version" value={left} onValueChange={setLeft} options={opts} className="w-56" />
                </div>
                <div className="grid gap-1">
                  <Label htmlFor="to-version">To</Label>
                  <Select id="to-version" value={right} onValueChange={setRight} options={opts} className="w-56" />
                </div>
              </div>
              <div data-testid="version-diff">{computed.length ? <ChangeList changes={computed} /> : <p className="text-sm text-muted-foreground">These versions have the same spec.</p>}</div>
            </div>
          ) : null}
          <ol className="grid gap-2" aria-label="Versions, newest first">
            {sorted.map((v) => (
              <li key={v.version} className="rounded-xl border bg-card p-4">
                <div className="flex flex-wrap items-center gap-2">
                  <Badge variant="secondary">v{v.version}</Badge>
                  <span className="text-xs text-muted-foreground">{fmtDateTime(v.created_at)}</span>
                </div>
                {v.explanation ? <p className="mt-2 line-clamp-3 text-sm">{typeof v.explanation === "string" ? v.explanation : v.explanation.summary}</p> : null}
                {v.source ? <span className="text-xs text-muted-foreground">via {v.source}</span> : null}
                {normalizeDiff(v.diff).type !== "none" ? (
                  <details className="mt-2">
                    <summary className="cursor-pointer text-sm font-medium">What changed</summary>
                    <div className="mt-2">
                      <DiffView diff={v.diff} />
                    </div>
                  </details>
                ) : null}
              </li>
            ))}
          </ol>
        </TabsContent>
        <TabsContent value="spec">{latest ? <CodeView code={specText(latest.spec)} lang="json" label="Latest StrategySpec" /> : null}</TabsContent>
        <TabsContent value="code">
          {latest?.code ? <CodeView code={latest.code} lang="python" label="Generated Python" /> : <p className="text-sm text-muted-foreground">No code stored.</p>}
        </TabsContent>
      </Tabs>
    </>
  );
}

export default function StrategyViewPage() {
  return (
    <AppShell title="Strategy">
      <React.Suspense fallback={<Skeleton className="h-96 w-full" />}>
        <View />
      </React.Suspense>
    </AppShell>
  );
}
