/**
 * Live validation of a StrategySpec JSON text against the served JSON Schema (ajv, offline).
 * Errors carry the JSON path, a message that says what to change, and the editor line.
 */
import Ajv2020, { type ErrorObject } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { lineColOf, locatePointers } from "@/lib/json-locate";
import { findJsonSyntaxError } from "@/lib/json-syntax";
import { rewriteDiscriminators } from "@/lib/schema-rewrite.mjs";

export interface SpecIssue {
  /** JSON pointer of the offending value ("" is the document). */
  pointer: string;
  /** Human path, e.g. "risk.stop_loss.pct". */
  path: string;
  message: string;
  line: number | null;
}

export interface SpecValidation {
  ok: boolean;
  issues: SpecIssue[];
  value?: unknown;
}

type Json = Record<string, unknown>;

export { rewriteDiscriminators };

function humanPath(pointer: string): string {
  if (!pointer) return "(document)";
  return pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "");
}

function describe(e: ErrorObject): { pointer: string; message: string; keyLine?: boolean } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required":
      return { pointer: e.instancePath, message: `missing required field "${String(p.missingProperty)}"` };
    case "additionalProperties":
      return {
        pointer: `${e.instancePath}/${String(p.additionalProperty)}`,
        message: `unknown field "${String(p.additionalProperty)}" — remove it or check its spelling`,
        keyLine: true,
      };
    case "enum":
      return {
        pointer: e.instancePath,
        message: `must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
      };
    case "const":
      return { pointer: e.instancePath, message: `must be ${JSON.stringify(p.allowedValue)}` };
    case "type":
      return { pointer: e.instancePath, message: `must be ${String(p.type).replace(",", " or ")}` };
    case "minItems":
      return { pointer: e.instancePath, message: Number(p.limit) === 1 ? "needs at least one item" : `needs at least ${String(p.limit)} items` };
    case "maxItems":
      return { pointer: e.instancePath, message: `allows at most ${String(p.limit)} items` };
    case "minLength":
      return { pointer: e.instancePath, message: Number(p.limit) === 1 ? "must not be empty" : `must be at least ${String(p.limit)} characters` };
    case "maxLength":
      return { pointer: e.instancePath, message: `must be at most ${String(p.limit)} characters` };
    case "format":
      return {
        pointer: e.instancePath,
        message: p.format === "date" ? "must be a date like 2012-12-31" : p.format === "date-time" ? "must be a date-time like 2012-12-31T00:00:00Z" : `must be a valid ${String(p.format)}`,
      };
    case "pattern":
      return { pointer: e.instancePath, message: `does not match the expected format (${String(p.pattern)})` };
    default:
      return { pointer: e.instancePath, message: e.message ?? "is invalid" };
  }
}

/** Keep the errors that tell the user what to fix; drop union noise. */
export function selectErrors(errors: ErrorObject[]): ErrorObject[] {
  const meaningful = errors.filter((e) => !["if", "anyOf", "oneOf", "allOf", "then"].includes(e.keyword));
  // Within an `anyOf [X, null]`, drop "must be null" when a sibling branch explains more.
  const filtered = meaningful.filter((e) => {
    if (e.keyword === "type" && (e.params as { type?: string }).type === "null") {
      return !meaningful.some((o) => o !== e && o.instancePath.startsWith(e.instancePath) && !(o.keyword === "type" && (o.params as { type?: string }).type === "null"));
    }
    return true;
  });
  const list = filtered.length ? filtered : errors;
  const seen = new Set<string>();
  return list.filter((e) => {
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface SpecValidator {
  validate(text: string): SpecValidation;
  validateValue(value: unknown): SpecIssue[];
}

/** Anything that validates like an ajv ValidateFunction (runtime-compiled or precompiled). */
export interface ValidateFn {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export function validatorFrom(fn: ValidateFn): SpecValidator {
  const issuesFor = (value: unknown, text?: string): SpecIssue[] => {
    if (fn(value)) return [];
    const lines = text ? locatePointers(text) : null;
    return selectErrors(fn.errors ?? []).map((e) => {
      const d = describe(e);
      const line = lines ? (d.keyLine ? lines.get(`${d.pointer}#key`) : undefined) ?? lines.get(d.pointer) ?? lines.get(e.instancePath) ?? null : null;
      return { pointer: d.pointer, path: humanPath(d.pointer), message: d.message, line };
    });
  };

  return {
    validateValue: (value) => issuesFor(value),
    validate(text) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        const syn = findJsonSyntaxError(text);
        if (syn) return { ok: false, issues: [{ pointer: "", path: "JSON syntax", message: `not valid JSON at column ${syn.column}: ${syn.message}`, line: syn.line }] };
        const msg = err instanceof Error ? err.message : String(err);
        const m = /position (\d+)/.exec(msg);
        const line = m ? lineColOf(text, Number(m[1])).line : null;
        return { ok: false, issues: [{ pointer: "", path: "(document)", message: `not valid JSON: ${msg}`, line }] };
      }
      const issues = issuesFor(value, text).sort((a, b) => (a.line ?? 1e9) - (b.line ?? 1e9));
      return { ok: issues.length === 0, issues, value };
    },
  };
}

/** Compiles a schema at run time (needs `new Function`, i.e. a CSP with 'unsafe-eval'). */
export function createSpecValidator(schema: object): SpecValidator {
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  const rewritten = rewriteDiscriminators(schema) as Json;
  delete rewritten.$schema;
  delete rewritten.$id;
  return validatorFrom(ajv.compile(rewritten));
}
