/**
 * Problems from the API are written for developers as much as for people: titles like
 * "Authentication required" or "Conflict", pydantic messages ("Value error, …", "Field required"),
 * environment variable names and API paths. This turns them into words a trader can act on;
 * the original stays in the problem for the "details for support" disclosure.
 */
import type { FieldError, Problem } from "@/lib/api/types";

const BY_SLUG: Record<string, string> = {
  "invalid-credentials": "Wrong email or password",
  "account-disabled": "This account is disabled",
  "invalid-refresh-token": "Your session has ended",
  unauthorized: "Please sign in",
  forbidden: "You can't do that",
  "not-found": "Not found",
  conflict: "That already exists",
  "payload-too-large": "That is too large",
  validation: "Some details need fixing",
  "rate-limited": "Too many requests",
  upstream: "A part of VibeTrading failed",
  unavailable: "VibeTrading is busy or starting",
  "upstream-timeout": "That took too long",
  "unknown-symbol": "Unknown symbol",
};

const BY_STATUS: Record<number, string> = {
  0: "Can't reach VibeTrading",
  400: "That request didn't work",
  401: "Please sign in",
  403: "You can't do that",
  404: "Not found",
  409: "That already exists",
  413: "That is too large",
  422: "Some details need fixing",
  429: "Too many requests",
  500: "Something went wrong on our side",
  502: "A part of VibeTrading failed",
  503: "VibeTrading is busy or starting",
  504: "That took too long",
};

/** Titles that are only a status name: replaced by a human one. */
const DEV_TITLES = new Set(
  ["authentication required", "unauthorized", "forbidden", "conflict", "not found", "bad request", "invalid input", "invalid request", "unprocessable entity", "unprocessable content", "payload too large", "too many requests", "upstream failure", "service unavailable", "upstream timed out", "internal server error", "bad gateway", "gateway timeout", "request failed", "network error"].map((s) => s.toLowerCase()),
);

function slugOf(p: Problem): string | null {
  return p.type ? (p.type.split("/").pop() ?? null) : null;
}

export function humanTitle(p: Problem): string {
  const slug = slugOf(p);
  if (slug && BY_SLUG[slug] && (DEV_TITLES.has(p.title.toLowerCase()) || /^HTTP \d+$/.test(p.title))) return BY_SLUG[slug];
  if (!p.title || DEV_TITLES.has(p.title.toLowerCase()) || /^HTTP \d+$/.test(p.title)) return BY_STATUS[p.status] ?? (p.status >= 500 ? BY_STATUS[500] : "That didn't work");
  return p.title;
}

const PYDANTIC: [RegExp, string | ((...m: string[]) => string)][] = [
  [/^Value error, /, ""],
  [/^Assertion failed, /, ""],
  [/^Field required$/, "is required"],
  [/^Extra inputs are not permitted$/, "is not a field this accepts — remove it or check its spelling"],
  [/^Input should be a valid (number|integer)(, .*)?$/, (_, t) => `must be ${t === "integer" ? "a whole number" : "a number"}`],
  [/^Input should be a valid (date|datetime)(, .*)?$/, (_, t) => `must be a ${t === "date" ? "date like 2012-12-31" : "date and time"}`],
  [/^Input should be a valid (string|list|dictionary|boolean)(, .*)?$/, (_, t) => `must be ${({ string: "text", list: "a list", dictionary: "an object", boolean: "true or false" } as Record<string, string>)[t]}`],
  [/^Input should be (greater|less) than( or equal to)? (.+)$/, (_, gl, eq, n) => `must be ${gl === "greater" ? (eq ? "at least" : "more than") : eq ? "at most" : "less than"} ${n}`],
  [/^Input should be (.+)$/, (_, rest) => `must be ${rest}`],
  [/^String should have at (least|most) (\d+) characters?$/, (_, lm, n) => `must have at ${lm} ${n} characters`],
  [/^List should have at (least|most) (\d+) items?.*$/, (_, lm, n) => `needs at ${lm} ${n} item${n === "1" ? "" : "s"}`],
  [/^String should match pattern .*$/, "is not in the expected format"],
  [/^value is not a valid email address: (.*)$/, (_, why) => `is not a valid email address (${why})`],
];

/** Wording fixes for any message: no env var names, API paths or pydantic phrasing. */
export function humanText(s: string, { capitalize = true }: { capitalize?: boolean } = {}): string {
  let out = s.trim();
  for (const [re, rep] of PYDANTIC) {
    if (re.test(out)) {
      out = typeof rep === "string" ? out.replace(re, rep) : out.replace(re, rep as (...m: string[]) => string);
    }
  }
  out = out
    // "(see VT_ECON_CALENDAR)", "set ANTHROPIC_API_KEY" -> a server setting
    .replace(/\s*\((?:set |see )?[A-Z][A-Z0-9]*_[A-Z0-9_]+\)/g, "")
    // "(set VT_NEWS_FEEDS to RSS/Atom URLs or enable VT_…)" -> the operator's business
    .replace(/\s*\([^()]*\b[A-Z][A-Z0-9]*_[A-Z0-9_]{2,}\b[^()]*\)/g, " (a server setting the operator can change)")
    .replace(/\b(?:set |the )?[A-Z][A-Z0-9]*_[A-Z0-9_]{2,}\b/g, "a server setting")
    .replace(/a server setting(?:(?:,| or| and) a server setting)+/g, "a server setting")
    // "POST /api/v1/backtest/run", "GET /runs/{id}" and bare /api/v1 paths
    .replace(/(?:\s+(?:at|from|to|on|via))?\s*\b(?:GET|POST|PUT|PATCH|DELETE) \/[\w/{}\-.:?=&]*/g, "")
    .replace(/(?:\s+(?:at|from|to|on|via))?\s*\/api\/v\d+\/[\w/{}\-.:?=&]*/g, "")
    .replace(/\s{2,}/g, " ");
  return out && capitalize ? out[0].toUpperCase() + out.slice(1) : out;
}

/** "body.spec.risk.stop_loss" -> "risk › stop loss"; list indexes counted from 1. */
export function humanLoc(loc: (string | number)[]): string {
  const parts = loc.filter((x) => x !== "body" && x !== "query" && x !== "path");
  const trimmed = parts[0] === "spec" && parts.length > 1 ? parts.slice(1) : parts;
  return trimmed.map((x) => (typeof x === "number" || /^\d+$/.test(String(x)) ? `#${Number(x) + 1}` : String(x).replace(/_/g, " "))).join(" › ");
}

export function humanizeProblem(p: Problem): Problem {
  const errors: FieldError[] | null | undefined = p.errors?.map((e) => ({ ...e, msg: humanText(e.msg, { capitalize: false }) }));
  return { ...p, title: humanTitle(p), detail: p.detail ? humanText(p.detail) : p.detail, errors };
}
