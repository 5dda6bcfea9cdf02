"use client";
import * as React from "react";
import { Check, Copy } from "lucide-react";
import { Button } from "@/components/ui/button";
import { cn } from "@/lib/utils";

const PY_KEYWORDS = new Set(
  "False None True and as assert break continue def del elif else except finally for from if import in is lambda not or pass raise return try while with yield".split(" "),
);

/** A tiny tokenizer: enough colour for reading generated Python or JSON without a heavy highlighter. */
function highlight(line: string, lang: "python" | "json"): React.ReactNode[] {
  const out: React.ReactNode[] = [];
  const re = lang === "python"
    ? /(#.*$)|("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')|(\b\d+(?:\.\d+)?\b)|(\b[A-Za-z_][A-Za-z0-9_]*\b)/g
    : /()("(?:\\.|[^"\\])*"(?=\s*:))|("(?:\\.|[^"\\])*")|(-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b|\btrue\b|\bfalse\b|\bnull\b)/g;
  let last = 0;
  let m: RegExpExecArray | null;
  let k = 0;
  while ((m = re.exec(line))) {
    if (m.index > last) out.push(line.slice(last, m.index));
    const [tok] = m;
    let cls = "";
    if (lang === "python") {
      if (m[1]) cls = "text-muted-foreground italic";
      else if (m[2]) cls = "text-success";
      else if (m[3]) cls = "text-warning";
      else if (m[4] && PY_KEYWORDS.has(tok)) cls = "text-primary font-medium";
    } else {
      if (m[2]) cls = "text-primary";
      else if (m[3]) cls = "text-success";
      else if (m[4]) cls = "text-warning";
    }
    out.push(cls ? <span key={k++} className={cls}>{tok}</span> : tok);
    last = m.index + tok.length;
    if (tok.length === 0) re.lastIndex++;
  }
  if (last < line.length) out.push(line.slice(last));
  return out;
}

export function CodeView({ code, lang, label, className }: { code: string; lang: "python" | "json"; label: string; className?: string }) {
  const [copied, setCopied] = React.useState(false);
  const lines = code.replace(/\n$/, "").split("\n");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      /* clipboard unavailable */
    }
  };
  return (
    <div className={cn("relative rounded-lg border bg-muted/40", className)}>
      <Button variant="ghost" size="sm" onClick={copy} className="absolute right-1.5 top-1.5 z-10" aria-label={`Copy ${label}`}>
        {copied ? <Check /> : <Copy />} {copied ? "Copied" : "Copy"}
      </Button>
      <pre
        tabIndex={0}
        aria-label={label}
        className="max-h-[28rem] overflow-auto p-3 pr-20 font-mono text-xs leading-5"
      >
        <code>
          {lines.map((l, i) => (
            <div key={i} className="flex">
              <span aria-hidden className="mr-3 inline-block w-7 shrink-0 select-none text-right text-muted-foreground/70">
                {i + 1}
              </span>
              <span className="whitespace-pre">{highlight(l, lang)}</span>
            </div>
          ))}
        </code>
      </pre>
    </div>
  );
}
