"use client";
import * as React from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Play, Save, Sparkles, Wand2 } from "lucide-react";
import { toast } from "@/lib/toast";
import { AppShell, PageHeader } from "@/components/layout/app-shell";
import { EmptyState, ProblemAlert, problemOf } from "@/components/problem";
import { SpecEditor } from "@/components/strategy/spec-editor";
import { ChangeList, DiffView } from "@/components/strategy/diff-view";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Textarea } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Skeleton } from "@/components/ui/progress";
import { ApiError } from "@/lib/api/client";
import { chatStrategy, strategies } from "@/lib/api/endpoints";
import type { StrategySpec } from "@/lib/api/types";
import { jsonDiff, normalizeDiff, type Change } from "@/lib/diff";
import { locatePointers } from "@/lib/json-locate";
import type { SpecIssue } from "@/lib/spec-validate";
import { useRunBacktest } from "@/lib/use-run-backtest";
import { useSpecValidator } from "@/lib/use-spec-validator";
import { conversationFor, rememberConversation } from "@/lib/conversations";
import { specText } from "@/lib/spec-key-order";
import { useUnsavedChangesGuard } from "@/lib/use-unsaved-guard";

/** Server-side field errors (loc like ["body","spec","risk","stop_loss"]) placed on editor lines. */
function serverIssues(err: unknown, text: string): SpecIssue[] {
  if (!(err instanceof ApiError) || !err.problem.errors?.length) return [];
  const lines = locatePointers(text);
  return err.problem.errors.map((e) => {
    const loc = e.loc.filter((p) => p !== "body");
    const parts = loc[0] === "spec" ? loc.slice(1) : loc;
    const pointer = parts.length ? "/" + parts.map(String).join("/") : "";
    return { pointer, path: parts.join(".") || "(document)", message: e.msg, line: lines.get(pointer) ?? null };
  });
}

function Editor() {
  const id = useSearchParams().get("id");
  const qc = useQueryClient();
  const strategy = useQuery({ queryKey: ["strategy", id], queryFn: () => strategies.get(id!), enabled: !!id });
  const versions = useQuery({ queryKey: ["strategy", id, "versions"], queryFn: () => strategies.versions(id!), enabled: !!id });
  const { validator, error: validatorError, loading: validatorLoading, source: validatorSource, schemaError } = useSpecValidator();
  const { run, running } = useRunBacktest();
  const [text, setText] = React.useState<string | null>(null);
  const [saved, setSaved] = React.useState<string>("");
  const [issues, setIssues] = React.useState<SpecIssue[]>([]);
  const [serverErr, setServerErr] = React.useState<{ err: unknown; issues: SpecIssue[] } | null>(null);
  const [saving, setSaving] = React.useState(false);
  const [nl, setNl] = React.useState("");
  const [nlBusy, setNlBusy] = React.useState(false);
  const [nlText, setNlText] = React.useState("");
  const [nlChanges, setNlChanges] = React.useState<{ server: unknown; computed: Change[] } | null>(null);
  const [nlError, setNlError] = React.useState<unknown>(null);
  const [nlSavedAs, setNlSavedAs] = React.useState<number | null>(null);

  const latestSpec: StrategySpec | undefined = React.useMemo(() => {
    if (strategy.data?.spec) return strategy.data.spec;
    const vs = versions.data ?? [];
    return [...vs].sort((a, b) => b.version - a.version)[0]?.spec ?? undefined;
  }, [versions.data, strategy.data]);

  React.useEffect(() => {
    if (text === null && latestSpec && !versions.isPending) {
      const t = specText(latestSpec);
      setText(t);
      setSaved(t);
    }
  }, [latestSpec, text, versions.isPending]);

  React.useEffect(() => {
    if (!validator || text === null) return;
    const h = setTimeout(() => setIssues(validator.validate(text).issues), 150);
    return () => clearTimeout(h);
  }, [validator, text]);

  const dirty = text !== null && text !== saved;
  useUnsavedChangesGuard(dirty && !saving);

  if (!id) return <EmptyState title="No strategy selected">Open a strategy from <Link className="text-primary underline" href="/strategies/">your strategies</Link>.</EmptyState>;
  if (strategy.isPending) return <Skeleton className="h-[32rem] w-full" />;
  if (strategy.isError) return <ProblemAlert error={strategy.error} />;

  const allIssues = [...issues, ...(serverErr && text !== null ? serverErr.issues : [])];

  const save = async (): Promise<boolean> => {
    if (text === null) return false;
    if (issues.length) {
      toast.error("Fix the problems listed under the editor first.");
      return false;
    }
    setSaving(true);
    setServerErr(null);
    try {
      await strategies.save(id, JSON.parse(text) as StrategySpec);
      setSaved(text);
      toast.success("Saved as a new version");
      await qc.invalidateQueries({ queryKey: ["strategy", id] });
      await qc.invalidateQueries({ queryKey: ["strategies"] });
      return true;
    } catch (err) {
      setServerErr({ err, issues: serverIssues(err, text) });
      return false;
    } finally {
      setSaving(false);
    }
  };

  const nlEdit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!nl.trim()) {
      setNlError(new ApiError({ title: "Describe the change", status: 0, detail: "Say what to change, e.g. “use a 3% stop loss”." }));
      return;
    }
    setNlBusy(true);
    setNlError(null);
    setNlText("");
    setNlChanges(null);
    const before = text ? (JSON.parse(text) as unknown) : latestSpec;
    try {
      const conv = strategy.data?.conversation_id ?? conversationFor(id);
      const message = conv ? nl : `Edit my strategy "${strategy.data?.name ?? ""}" (${JSON.stringify(before)}): ${nl}`;
      for await (const ev of chatStrategy(message, conv)) {
        if (ev.type === "token") setNlText((t) => t + ev.text);
        else if (ev.type === "error") setNlError(new ApiError(ev.problem));
        else if (ev.type === "result") {
          setNlText(ev.reply.reply);
          rememberConversation(ev.reply.strategy_id, ev.reply.conversation_id);
          if (ev.reply.spec) {
            const t = specText(ev.reply.spec);
            setText(t);
            setNlChanges({ server: ev.reply.diff, computed: jsonDiff(before, ev.reply.spec) });
            if (ev.reply.strategy_id === id) {
              setSaved(t);
              setNlSavedAs(ev.reply.version ?? null);
              await qc.invalidateQueries({ queryKey: ["strategy", id] });
            } else setNlSavedAs(null);
          }
        }
      }
      setNl("");
    } catch (err) {
      setNlError(err);
    } finally {
      setNlBusy(false);
    }
  };

  return (
    <>
      <PageHeader
        title={`Edit · ${strategy.data.name ?? "strategy"}`}
        description={dirty ? "Unsaved changes" : "Saved"}
        actions={
          <>
            <Button onClick={save} disabled={!dirty || saving || issues.length > 0} data-testid="save-spec">
              <Save /> {saving ? "Saving…" : "Save version"}
            </Button>
            <Button
              variant="outline"
              disabled={running || issues.length > 0}
              data-testid="save-and-run"
              onClick={async () => {
                if (dirty && !(await save())) return;
                await run({ strategy_id: id });
              }}
            >
              <Play /> {dirty ? "Save & run" : "Run backtest"}
            </Button>
          </>
        }
      />
      <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <div className="grid content-start gap-3">
          {validatorError ? <ProblemAlert error={validatorError} title="Live validation is unavailable" /> : null}
          {schemaError || validatorSource === "precompiled-stale" ? (
            <p role="note" className="text-xs text-muted-foreground">
              {schemaError ? "The server's schema could not be loaded; " : "The server's schema differs from this app's build; "}
              checking against the schema bundled with the app. The server still validates on save.
            </p>
          ) : null}
          {serverErr && !serverErr.issues.length ? <ProblemAlert error={serverErr.err} title="The server rejected this spec" /> : null}
          {text === null ? (
            <Skeleton className="h-[28rem] w-full" />
          ) : (
            <SpecEditor value={text} onChange={(v) => { setText(v); setServerErr(null); }} issues={allIssues} validating={validatorLoading} />
          )}
        </div>
        <Card className="content-start">
          <CardHeader>
            <CardTitle className="flex items-center gap-2 text-base">
              <Sparkles className="size-4" aria-hidden /> Change it in words
            </CardTitle>
            <CardDescription>The assistant edits the spec; you see what changed before running it.</CardDescription>
          </CardHeader>
          <CardContent className="grid gap-3">
            <form onSubmit={nlEdit} className="grid gap-2">
              <Label htmlFor="nl-edit">Describe the change</Label>
              <Textarea id="nl-edit" rows={3} value={nl} onChange={(e) => setNl(e.target.value)} placeholder="e.g. use a 3% stop loss and only trade above the 200-day SMA" />
              <Button type="submit" disabled={nlBusy} data-testid="nl-edit-submit">
                <Wand2 /> {nlBusy ? "Editing…" : "Apply change"}
              </Button>
            </form>
            {nlError ? <ProblemAlert error={nlError} /> : null}
            {nlText ? (
              <p className="whitespace-pre-wrap rounded-lg bg-muted p-3 text-sm" aria-live="polite">
                {nlText}
              </p>
            ) : null}
            {nlChanges ? (
              <div className="grid gap-1">
                <p className="text-sm font-medium">What changed</p>
                <p className="text-xs text-muted-foreground">
                  {nlSavedAs ? `Saved as version ${nlSavedAs}.` : "Loaded into the editor — review it, then “Save version” to keep it."}
                </p>
                {normalizeDiff(nlChanges.server).type !== "none" ? (
                  <DiffView diff={nlChanges.server} />
                ) : nlChanges.computed.length ? (
                  <ChangeList changes={nlChanges.computed} />
                ) : (
                  <p className="text-sm text-muted-foreground">The spec did not change.</p>
                )}
              </div>
            ) : null}
          </CardContent>
        </Card>
      </div>
    </>
  );
}

export default function EditorPage() {
  return (
    <AppShell title="Edit strategy">
      <React.Suspense fallback={<Skeleton className="h-[32rem] w-full" />}>
        <Editor />
      </React.Suspense>
    </AppShell>
  );
}
