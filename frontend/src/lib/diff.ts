/** Structural diff between two JSON values, and normalisation of the diffs the API sends. */
export type ChangeKind = "added" | "removed" | "changed";
export interface Change {
  path: string;
  kind: ChangeKind;
  before?: unknown;
  after?: unknown;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;
}

export function jsonDiff(a: unknown, b: unknown, path = ""): Change[] {
  if (Object.is(a, b)) return [];
  if (isObj(a) && isObj(b)) {
    const out: Change[] = [];
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) {
      const p = join(path, k);
      if (!(k in a)) out.push({ path: p, kind: "added", after: b[k] });
      else if (!(k in b)) out.push({ path: p, kind: "removed", before: a[k] });
      else out.push(...jsonDiff(a[k], b[k], p));
    }
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: Change[] = [];
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const p = join(path, i);
      if (i >= a.length) out.push({ path: p, kind: "added", after: b[i] });
      else if (i >= b.length) out.push({ path: p, kind: "removed", before: a[i] });
      else out.push(...jsonDiff(a[i], b[i], p));
    }
    return out;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  return [{ path: path || "(root)", kind: "changed", before: a, after: b }];
}

export type NormalizedDiff =
  | { type: "none" }
  | { type: "text"; lines: { sign: "+" | "-" | " " | "@"; text: string }[] }
  | { type: "changes"; changes: Change[] };

function pathOf(v: unknown): string {
  if (Array.isArray(v)) return v.map(String).join(".");
  return String(v ?? "");
}

/** Accepts a unified-diff string, a list of {path/op/before/after}-ish records, a JSON Patch, or a {path: {old,new}} map. */
export function normalizeDiff(diff: unknown): NormalizedDiff {
  if (diff === null || diff === undefined || diff === "" || (Array.isArray(diff) && diff.length === 0)) return { type: "none" };
  if (typeof diff === "string") {
    const lines = diff.split(/\r?\n/).filter((l, i, all) => !(i === all.length - 1 && l === ""));
    return {
      type: "text",
      lines: lines.map((l) => {
        if (l.startsWith("@@")) return { sign: "@", text: l };
        if (l.startsWith("+++") || l.startsWith("---")) return { sign: "@", text: l };
        const c = l[0];
        if (c === "+" || c === "-") return { sign: c, text: l.slice(1) };
        return { sign: " ", text: l.startsWith(" ") ? l.slice(1) : l };
      }),
    };
  }
  const list: unknown[] | null = Array.isArray(diff)
    ? diff
    : isObj(diff) && Array.isArray(diff.changes)
      ? (diff.changes as unknown[])
      : null;
  if (list) {
    const changes: Change[] = list.filter(isObj).map((c) => {
      const before = c.before ?? c.old ?? c.from_value ?? c.old_value;
      const after = c.after ?? c.new ?? c.value ?? c.new_value;
      const op = c.kind ?? c.op ?? c.type;
      const kind: ChangeKind =
        op === "add" || op === "added" || (op === undefined && (before === null || before === undefined))
          ? "added"
          : op === "remove" || op === "removed" || (op === undefined && (after === null || after === undefined))
            ? "removed"
            : "changed";
      return { path: pathOf(c.path ?? c.field ?? c.loc), kind, before, after };
    });
    return changes.length ? { type: "changes", changes } : { type: "none" };
  }
  if (isObj(diff)) {
    const changes: Change[] = Object.entries(diff).map(([path, v]) => {
      if (isObj(v) && ("old" in v || "new" in v || "before" in v || "after" in v)) {
        const before = v.before ?? v.old;
        const after = v.after ?? v.new;
        const kind: ChangeKind = before === undefined || before === null ? "added" : after === undefined || after === null ? "removed" : "changed";
        return { path, kind, before, after };
      }
      return { path, kind: "changed", after: v };
    });
    return changes.length ? { type: "changes", changes } : { type: "none" };
  }
  return { type: "none" };
}

export function showValue(v: unknown): string {
  if (v === undefined) return "";
  if (typeof v === "string") return JSON.stringify(v);
  const s = JSON.stringify(v);
  return s.length > 120 ? s.slice(0, 117) + "…" : s;
}
