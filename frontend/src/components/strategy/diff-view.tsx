import * as React from "react";
import { Badge } from "@/components/ui/badge";
import { normalizeDiff, showValue, type Change } from "@/lib/diff";
import { cn } from "@/lib/utils";

const KIND_LABEL = { added: "added", removed: "removed", changed: "changed" } as const;

export function ChangeList({ changes }: { changes: Change[] }) {
  return (
    <ul className="divide-y rounded-lg border text-sm" aria-label="Changes">
      {changes.map((c, i) => (
        <li key={i} className="flex min-w-0 flex-wrap items-baseline gap-x-2 gap-y-1 px-3 py-2" data-testid="diff-change">
          <Badge variant={c.kind === "added" ? "success" : c.kind === "removed" ? "destructive" : "warning"}>{KIND_LABEL[c.kind]}</Badge>
          <code className="font-mono text-xs font-medium">{c.path}</code>
          <span className="flex min-w-0 flex-wrap items-baseline gap-1 font-mono text-xs">
            {c.kind !== "added" ? (
              <del className="break-all rounded bg-destructive/10 px-1 text-destructive decoration-destructive/60">
                <span className="sr-only">before: </span>
                {showValue(c.before)}
              </del>
            ) : null}
            {c.kind === "changed" ? <span aria-hidden>→</span> : null}
            {c.kind !== "removed" ? (
              <ins className="break-all rounded bg-success/10 px-1 text-success no-underline">
                <span className="sr-only">after: </span>
                {showValue(c.after)}
              </ins>
            ) : null}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** Renders whatever diff the API returns (unified text, change records, or a map) — or a computed one. */
export function DiffView({ diff, emptyText = "No changes." }: { diff: unknown; emptyText?: string }) {
  const n = normalizeDiff(diff);
  if (n.type === "none") return <p className="text-sm text-muted-foreground">{emptyText}</p>;
  if (n.type === "changes") return <ChangeList changes={n.changes} />;
  return (
    <pre tabIndex={0} aria-label="Changes (unified diff)" className="max-h-96 overflow-auto rounded-lg border font-mono text-xs leading-5">
      {n.lines.map((l, i) => (
        <div
          key={i}
          className={cn(
            "whitespace-pre px-3",
            l.sign === "+" && "bg-success/10 text-success",
            l.sign === "-" && "bg-destructive/10 text-destructive",
            l.sign === "@" && "bg-muted text-muted-foreground",
          )}
        >
          <span aria-hidden className="mr-2 select-none">{l.sign === "@" ? " " : l.sign}</span>
          {l.sign === "+" ? <span className="sr-only">added: </span> : l.sign === "-" ? <span className="sr-only">removed: </span> : null}
          {l.text}
        </div>
      ))}
    </pre>
  );
}
