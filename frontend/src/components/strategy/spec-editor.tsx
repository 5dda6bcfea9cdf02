"use client";
import * as React from "react";
import { AlertCircle, CheckCircle2 } from "lucide-react";
import type { SpecIssue } from "@/lib/spec-validate";
import { cn } from "@/lib/utils";

const LINE_H = 20; // px, must match leading-5

export interface SpecEditorProps {
  id?: string;
  value: string;
  onChange: (v: string) => void;
  issues: SpecIssue[];
  validating?: boolean;
  label?: string;
}

/** JSON text editor with line numbers, error lines highlighted and errors listed by field. */
export function SpecEditor({ id = "spec-editor", value, onChange, issues, validating, label = "StrategySpec JSON" }: SpecEditorProps) {
  const taRef = React.useRef<HTMLTextAreaElement>(null);
  const layerRef = React.useRef<HTMLDivElement>(null);
  const gutterRef = React.useRef<HTMLDivElement>(null);
  const lines = React.useMemo(() => value.split("\n"), [value]);
  const bad = React.useMemo(() => {
    const m = new Map<number, string[]>();
    for (const i of issues) if (i.line) m.set(i.line, [...(m.get(i.line) ?? []), `${i.path}: ${i.message}`]);
    return m;
  }, [issues]);

  const syncScroll = () => {
    const ta = taRef.current;
    if (!ta) return;
    if (layerRef.current) layerRef.current.style.transform = `translate(${-ta.scrollLeft}px, ${-ta.scrollTop}px)`;
    if (gutterRef.current) gutterRef.current.style.transform = `translateY(${-ta.scrollTop}px)`;
  };

  const goTo = (line: number) => {
    const ta = taRef.current;
    if (!ta) return;
    let start = 0;
    for (let i = 1; i < line; i++) start = value.indexOf("\n", start) + 1;
    const end = value.indexOf("\n", start);
    ta.focus();
    ta.setSelectionRange(start, end === -1 ? value.length : end);
    ta.scrollTop = Math.max(0, (line - 4) * LINE_H);
    syncScroll();
  };

  const onKeyDown = (e: React.KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Tab" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      // Two spaces, like the formatted JSON. Esc then Tab still leaves the field.
      if ((e.currentTarget.dataset.escaped ?? "") === "1") return;
      e.preventDefault();
      const ta = e.currentTarget;
      const { selectionStart: s, selectionEnd: en } = ta;
      onChange(value.slice(0, s) + "  " + value.slice(en));
      requestAnimationFrame(() => ta.setSelectionRange(s + 2, s + 2));
    }
    e.currentTarget.dataset.escaped = e.key === "Escape" ? "1" : "";
  };

  const status = validating ? "Checking…" : issues.length ? `${issues.length} problem${issues.length === 1 ? "" : "s"}` : "Valid StrategySpec";

  return (
    <div className="grid gap-3">
      <div className="flex items-center justify-between gap-2">
        <label htmlFor={id} className="text-sm font-medium">
          {label}
        </label>
        <span
          role="status"
          data-testid="spec-status"
          className={cn("inline-flex items-center gap-1 text-xs font-medium", issues.length ? "text-destructive" : "text-success", validating && "text-muted-foreground")}
        >
          {issues.length ? <AlertCircle className="size-3.5" aria-hidden /> : <CheckCircle2 className="size-3.5" aria-hidden />}
          {status}
        </span>
      </div>
      <div className={cn("relative flex h-[28rem] overflow-hidden rounded-lg border bg-background font-mono text-xs leading-5", issues.length && "border-destructive/60")}>
        <div aria-hidden className="relative w-11 shrink-0 overflow-hidden border-r bg-muted/50 text-right text-muted-foreground">
          <div className="py-2" ref={gutterRef}>
            {lines.map((_, i) => (
              <div key={i} className={cn("h-5 pr-2", bad.has(i + 1) && "bg-destructive font-semibold text-destructive-foreground")}>
                {i + 1}
              </div>
            ))}
          </div>
        </div>
        <div className="relative min-w-0 flex-1">
          <div aria-hidden className="pointer-events-none absolute inset-0 overflow-hidden">
            <div ref={layerRef} className="py-2">
              {lines.map((_, i) => (
                <div key={i} className={cn("h-5", bad.has(i + 1) && "bg-destructive/15")} data-error-line={bad.has(i + 1) ? i + 1 : undefined} />
              ))}
            </div>
          </div>
          <textarea
            ref={taRef}
            id={id}
            value={value}
            spellCheck={false}
            autoCapitalize="off"
            autoComplete="off"
            wrap="off"
            onChange={(e) => onChange(e.target.value)}
            onScroll={syncScroll}
            onKeyDown={onKeyDown}
            aria-invalid={issues.length ? true : undefined}
            aria-describedby={`${id}-issues`}
            className="absolute inset-0 h-full w-full resize-none overflow-auto bg-transparent px-3 py-2 leading-5 whitespace-pre outline-none"
          />
        </div>
      </div>
      <div id={`${id}-issues`}>
        {issues.length ? (
          <ul className="grid gap-1" aria-label="Problems in the spec" data-testid="spec-issues">
            {issues.map((i, k) => (
              <li key={k}>
                <button
                  type="button"
                  onClick={() => i.line && goTo(i.line)}
                  className="flex w-full cursor-pointer flex-wrap items-baseline gap-x-2 rounded-md border border-destructive/30 bg-destructive/5 px-2 py-1.5 text-left text-sm hover:bg-destructive/10"
                  data-testid="spec-issue"
                >
                  {i.line ? <span className="font-mono text-xs text-muted-foreground">line {i.line}</span> : null}
                  <code className="font-mono text-xs font-semibold">{i.path}</code>
                  <span>{i.message}</span>
                </button>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </div>
  );
}
