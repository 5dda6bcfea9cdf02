import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { render, screen } from "@testing-library/react";
import { createSpecValidator } from "@/lib/spec-validate";
import { locatePointers } from "@/lib/json-locate";
import { SpecEditor } from "@/components/strategy/spec-editor";

// The same schema the gateway serves at /api/v1/schemas/strategy (committed by vt_contracts).
const schema = JSON.parse(readFileSync(join(__dirname, "../../packages/contracts/schemas/strategy_spec.v1.json"), "utf8"));
const good = readFileSync(join(__dirname, "fixtures/sma-cross.spec.json"), "utf8");
const v = createSpecValidator(schema);

function edit(mutate: (s: Record<string, any>) => void): string {
  const s = JSON.parse(good);
  mutate(s);
  return JSON.stringify(s, null, 2);
}

describe("StrategySpec validation", () => {
  it("accepts a valid spec", () => {
    expect(v.validate(good)).toMatchObject({ ok: true, issues: [] });
  });

  it("puts a bad number at its field and line", () => {
    const text = edit((s) => (s.indicators[0].window = 0));
    const { issues } = v.validate(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ pointer: "/indicators/0/window", path: "indicators[0].window" });
    expect(issues[0].message).toMatch(/>=/);
    expect(text.split("\n")[issues[0].line! - 1]).toContain('"window": 0');
  });

  it("names an unknown discriminator value and lists the allowed kinds", () => {
    const { issues } = v.validate(edit((s) => (s.entry.kind = "crosses_over")));
    expect(issues.map((i) => i.path)).toEqual(["entry.kind"]);
    expect(issues[0].message).toMatch(/must be one of: .*"crosses_above"/);
  });

  it("reports an unknown field at the key and a missing required field at its parent", () => {
    const text = edit((s) => {
      s.risk.stop_los = 3;
      delete s.universe.symbols;
    });
    const { issues } = v.validate(text);
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    expect(byPath["risk.stop_los"].message).toMatch(/unknown field "stop_los"/);
    expect(text.split("\n")[byPath["risk.stop_los"].line! - 1]).toContain('"stop_los"');
    expect(byPath["universe"].message).toBe('missing required field "symbols"');
  });

  it("reports broken JSON with its line", () => {
    const text = good.replace('"direction": "long",', '"direction": "long"');
    const { ok, issues } = v.validate(text);
    expect(ok).toBe(false);
    expect(issues[0].message).toMatch(/not valid JSON/);
    expect(issues[0].line).toBeGreaterThan(10);
  });

  it("maps pointers to lines", () => {
    const m = locatePointers('{\n  "a": {\n    "b": [1,\n      2]\n  }\n}');
    expect(m.get("/a/b/1")).toBe(4);
    expect(m.get("/a")).toBe(2);
  });
});

describe("SpecEditor", () => {
  it("shows each error at its field and highlights the line", () => {
    const text = edit((s) => (s.indicators[1].window = -5));
    const { issues } = v.validate(text);
    const { container } = render(<SpecEditor value={text} onChange={() => {}} issues={issues} />);
    expect(screen.getByTestId("spec-status")).toHaveTextContent("1 problem");
    const item = screen.getByTestId("spec-issue");
    expect(item).toHaveTextContent(`line ${issues[0].line}`);
    expect(item).toHaveTextContent("indicators[1].window");
    expect(screen.getByLabelText("StrategySpec JSON")).toHaveAttribute("aria-invalid", "true");
    expect(container.querySelector(`[data-error-line="${issues[0].line}"]`)).not.toBeNull();
  });

  it("says the spec is valid when there are no issues", () => {
    render(<SpecEditor value={good} onChange={() => {}} issues={[]} />);
    expect(screen.getByTestId("spec-status")).toHaveTextContent("Valid StrategySpec");
  });
});

describe("precompiled validator (no eval, works under the gateway's CSP)", () => {
  it("is built from the committed schema and agrees with the runtime-compiled one", async () => {
    const { createHash } = await import("node:crypto");
    const { canonicalJson } = await import("@/lib/canonical-json.mjs");
    const pre = await import("@/lib/generated/strategy-spec-validator.mjs");
    const { validatorFrom } = await import("@/lib/spec-validate");
    expect(createHash("sha256").update(canonicalJson(schema)).digest("hex")).toBe(pre.schemaHash);
    const p = validatorFrom(pre.validate);
    const cases = [
      good,
      edit((s) => (s.indicators[0].window = 0)),
      edit((s) => (s.entry.kind = "crosses_over")),
      edit((s) => {
        s.risk.stop_los = 3;
        delete s.universe.symbols;
      }),
      edit((s) => (s.period.start = "2005-13-45")),
    ];
    for (const c of cases) expect(p.validate(c).issues).toEqual(v.validate(c).issues);
    expect(p.validate(cases[4]).issues[0]).toMatchObject({ path: "period.start", message: "must be a date like 2012-12-31" });
    expect(p.validate(edit((s) => (s.universe.symbols = []))).issues[0]).toMatchObject({ path: "universe.symbols", message: "needs at least one item" });
  });

  it("the loader uses the precompiled validator when the served schema matches", async () => {
    const { loadSpecValidator } = await import("@/lib/spec-validator-loader");
    const reverseKeys = (x: unknown): unknown =>
      Array.isArray(x) ? x.map(reverseKeys) : x && typeof x === "object" ? Object.fromEntries(Object.entries(x).reverse().map(([k, y]) => [k, reverseKeys(y)])) : x;
    const shuffled = reverseKeys(schema) as object;
    expect((await loadSpecValidator(shuffled)).source).toBe("precompiled");
    const changed = { ...schema, title: "Something else" };
    expect((await loadSpecValidator(changed)).source).toBe("runtime");
  });
});
