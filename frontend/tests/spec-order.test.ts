import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { canonicalSpecOrder, SPEC_KEY_ORDER, specText } from "@/lib/spec-key-order";
import { findJsonSyntaxError } from "@/lib/json-syntax";
import { createSpecValidator } from "@/lib/spec-validate";

const schema = JSON.parse(readFileSync(join(__dirname, "../../packages/contracts/schemas/strategy_spec.v1.json"), "utf8"));
const good = readFileSync(join(__dirname, "fixtures/sma-cross.spec.json"), "utf8");

/** How PostgreSQL's JSONB hands keys back: shorter keys first. */
function jsonbOrder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonbOrder);
  if (!v || typeof v !== "object") return v;
  const e = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.length - b.length || (a < b ? -1 : 1));
  return Object.fromEntries(e.map(([k, x]) => [k, jsonbOrder(x)]));
}

describe("canonical StrategySpec key order", () => {
  it("lists exactly the properties of every schema definition", () => {
    expect(new Set(SPEC_KEY_ORDER.StrategySpec)).toEqual(new Set(Object.keys(schema.properties)));
    for (const [name, def] of Object.entries<{ properties?: object }>(schema.$defs)) {
      if (!def.properties) continue;
      expect(new Set(SPEC_KEY_ORDER[name]), name).toEqual(new Set(Object.keys(def.properties)));
    }
  });

  it("turns the database's key order back into the contract's", () => {
    const spec = JSON.parse(good);
    const stored = jsonbOrder(spec) as Record<string, unknown>;
    expect(Object.keys(stored)[0]).toBe("exit");
    const text = specText(stored);
    const keys = Object.keys(JSON.parse(text));
    expect(keys.slice(0, 3)).toEqual(["schema_version", "name", "description", "universe"].filter((k) => k in spec).slice(0, 3));
    expect(keys.indexOf("indicators")).toBeLessThan(keys.indexOf("entry"));
    expect(keys.indexOf("entry")).toBeLessThan(keys.indexOf("exit"));
    const ind = (canonicalSpecOrder(stored) as { indicators: Record<string, unknown>[] }).indicators[0];
    expect(Object.keys(ind)).toEqual(["id", "kind", "source", "window"].filter((k) => k in ind));
    expect(JSON.parse(text)).toEqual(spec); // values untouched
  });
});

describe("JSON syntax errors", () => {
  const v = createSpecValidator(schema);
  it("points at a missing comma in the middle with its line and says what to add", () => {
    const lines = good.split("\n");
    const at = lines.findIndex((l) => l.includes('"direction"'));
    lines[at] = lines[at].replace(/,\s*$/, "");
    const { issues } = v.validate(lines.join("\n"));
    expect(issues).toHaveLength(1);
    expect(issues[0].line).toBe(at + 2); // the next key is where the parser stops
    expect(issues[0].message).toMatch(/comma missing/);
  });
  it("names trailing commas, single quotes, unclosed text and early ends", () => {
    expect(findJsonSyntaxError('{\n  "a": 1,\n}')).toMatchObject({ line: 3, message: expect.stringMatching(/trailing comma/) });
    expect(findJsonSyntaxError("{\n  'a': 1\n}")).toMatchObject({ line: 2, message: expect.stringMatching(/double quotes/) });
    expect(findJsonSyntaxError('{\n  "a": "x\n}')).toMatchObject({ line: 2, message: expect.stringMatching(/not closed/) });
    expect(findJsonSyntaxError('{\n  "a": [1, 2')).toMatchObject({ line: 2, message: expect.stringMatching(/ends too early|expected/) });
    expect(findJsonSyntaxError('{\n  "a": tru\n}')).toMatchObject({ line: 2, column: 8 });
    expect(findJsonSyntaxError(good)).toBeNull();
  });
});
