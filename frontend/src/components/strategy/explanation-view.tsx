import * as React from "react";
import type { Explanation } from "@/lib/api/types";

function TextBlocks({ text }: { text: string }) {
  return (
    <div className="grid gap-2">
      {text.split(/\n{2,}/).map((p, i) => {
        const lines = p.split("\n");
        if (lines.every((l) => /^\s*([-*•]|\d+\.)\s+/.test(l))) {
          return (
            <ul key={i} className="list-disc pl-5">
              {lines.map((l, j) => (
                <li key={j}>{l.replace(/^\s*([-*•]|\d+\.)\s+/, "")}</li>
              ))}
            </ul>
          );
        }
        return (
          <p key={i} className="whitespace-pre-line">
            {p}
          </p>
        );
      })}
    </div>
  );
}

function Section({ title, items }: { title: string; items?: string[] }) {
  if (!items?.length) return null;
  return (
    <div>
      <h4 className="text-xs font-semibold uppercase tracking-wide text-muted-foreground">{title}</h4>
      <ul className="mt-1 list-disc pl-5">
        {items.map((x, i) => (
          <li key={i}>{x}</li>
        ))}
      </ul>
    </div>
  );
}

/** The plain-language explanation: the worker's structured Explanation, or plain text. */
export function ExplanationView({ explanation, assumptions }: { explanation: Explanation | string | null | undefined; assumptions?: string[] }) {
  if (!explanation) return <p className="text-sm text-muted-foreground">No explanation was produced.</p>;
  if (typeof explanation === "string")
    return (
      <div className="text-sm leading-6">
        <TextBlocks text={explanation} />
      </div>
    );
  const e = explanation;
  return (
    <div className="grid gap-3 text-sm leading-6" data-testid="explanation">
      <TextBlocks text={e.summary} />
      <Section title="Rules" items={e.rules} />
      <Section title="Risk assumptions" items={e.risk_assumptions} />
      <Section title="Works best when" items={e.expected_market_conditions} />
      <Section title="Assumptions made" items={assumptions} />
      {e.indicators?.length ? (
        <div>
          <h4 className="text-xs font-semibold uppercase tracking-wide text-muted-foreground">Indicators</h4>
          <dl className="mt-1 grid gap-1">
            {e.indicators.map((i) => (
              <div key={i.id} className="flex flex-wrap gap-x-2">
                <dt className="font-mono text-xs font-medium">{i.id}</dt>
                <dd>{i.reading}</dd>
              </div>
            ))}
          </dl>
        </div>
      ) : null}
      {e.signal_frequency && e.signal_frequency.status !== "not_requested" ? (
        <p className="rounded-md bg-muted px-3 py-2 text-xs">
          <span className="font-medium">Signal frequency: </span>
          {e.signal_frequency.detail}
        </p>
      ) : null}
    </div>
  );
}
