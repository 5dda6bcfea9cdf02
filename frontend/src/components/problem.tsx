import * as React from "react";
import { AlertTriangle } from "lucide-react";
import { ApiError } from "@/lib/api/client";
import type { Problem } from "@/lib/api/types";
import { cn } from "@/lib/utils";
import { humanizeProblem, humanLoc, humanText } from "@/lib/human-errors";

/** The problem behind an error, in words people read (see lib/human-errors.ts). */
export function problemOf(err: unknown): Problem {
  if (err instanceof ApiError) return humanizeProblem(err.problem);
  if (err instanceof Error) return { title: "Something went wrong", status: 0, detail: humanText(err.message) };
  return { title: "Something went wrong", status: 0, detail: humanText(String(err)) };
}

/** Shows a problem+json error: the `detail` says what to fix; field errors listed by path. */
export function ProblemAlert({ error, className, title, onRetry }: { error: unknown; className?: string; title?: string; onRetry?: () => void }) {
  if (!error) return null;
  const p = problemOf(error);
  return (
    <div role="alert" className={cn("rounded-lg border border-destructive/40 bg-destructive/10 p-3 text-sm", className)}>
      <div className="flex items-start gap-2">
        <AlertTriangle className="mt-0.5 size-4 shrink-0 text-destructive" aria-hidden />
        <div className="min-w-0">
          <p className="font-medium">{title ?? p.title}</p>
          {p.detail ? <p className="mt-0.5 break-words">{p.detail}</p> : null}
          {p.errors?.length ? (
            <ul className="mt-1 list-disc pl-4">
              {p.errors.map((e, i) => (
                <li key={i}>
                  {humanLoc(e.loc) ? <span className="font-medium">{humanLoc(e.loc)}: </span> : null}
                  {e.msg}
                </li>
              ))}
            </ul>
          ) : null}
          {p.correlation_id ? (
            <details className="mt-1 text-xs text-muted-foreground">
              <summary className="cursor-pointer">Details for support</summary>
              <p className="mt-0.5 break-all">Reference {p.correlation_id}</p>
            </details>
          ) : null}
          {onRetry ? (
            <button type="button" onClick={onRetry} className="mt-2 cursor-pointer rounded-md border bg-background px-2.5 py-1 text-xs font-medium hover:bg-accent">
              Try again
            </button>
          ) : null}
        </div>
      </div>
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: React.ReactNode; action?: React.ReactNode }) {
  return (
    <div className="rounded-xl border border-dashed p-8 text-center">
      <p className="font-medium">{title}</p>
      {children ? <div className="mt-1 text-sm text-muted-foreground">{children}</div> : null}
      {action ? <div className="mt-4 flex justify-center">{action}</div> : null}
    </div>
  );
}
