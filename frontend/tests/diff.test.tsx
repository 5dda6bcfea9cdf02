import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import { jsonDiff, normalizeDiff } from "@/lib/diff";
import { DiffView } from "@/components/strategy/diff-view";

describe("jsonDiff", () => {
  it("lists added, removed and changed leaves with readable paths", () => {
    const a = { risk: { stop_loss: { kind: "percent", percent: 5 } }, indicators: [{ id: "fast", window: 20 }], old: 1 };
    const b = { risk: { stop_loss: { kind: "percent", percent: 3 } }, indicators: [{ id: "fast", window: 10 }, { id: "trend", window: 200 }], filters: [] };
    expect(jsonDiff(a, b)).toEqual([
      { path: "filters", kind: "added", after: [] },
      { path: "indicators[0].window", kind: "changed", before: 20, after: 10 },
      { path: "indicators[1]", kind: "added", after: { id: "trend", window: 200 } },
      { path: "old", kind: "removed", before: 1 },
      { path: "risk.stop_loss.percent", kind: "changed", before: 5, after: 3 },
    ]);
    expect(jsonDiff(a, a)).toEqual([]);
  });
});

describe("normalizeDiff / DiffView", () => {
  it("renders a unified diff string with + and - lines", () => {
    render(<DiffView diff={"--- a\n+++ b\n@@ -1 +1 @@\n-  \"percent\": 5\n+  \"percent\": 3\n"} />);
    const pre = screen.getByLabelText("Changes (unified diff)");
    expect(pre).toHaveTextContent('removed: "percent": 5');
    expect(pre).toHaveTextContent('added: "percent": 3');
  });

  it("accepts JSON-patch-like lists and {path: {old, new}} maps", () => {
    expect(normalizeDiff([{ op: "add", path: ["filters", 0], value: 1 }])).toEqual({ type: "changes", changes: [{ path: "filters.0", kind: "added", before: undefined, after: 1 }] });
    const n = normalizeDiff({ "risk.stop_loss": { old: 5, new: 3 } });
    expect(n).toEqual({ type: "changes", changes: [{ path: "risk.stop_loss", kind: "changed", before: 5, after: 3 }] });
    render(<DiffView diff={{ "risk.stop_loss": { old: 5, new: 3 } }} />);
    expect(screen.getByTestId("diff-change")).toHaveTextContent(/changed.*risk\.stop_loss.*before: 5.*after: 3/);
  });

  it("reads the worker's DiffEntry list ({path, old, new}) and infers added/removed", () => {
    expect(normalizeDiff([{ path: "risk.stop_loss.percent", old: 5, new: 3 }, { path: "filters.0", old: null, new: { kind: "compare" } }, { path: "exit", old: { kind: "not" }, new: null }])).toEqual({
      type: "changes",
      changes: [
        { path: "risk.stop_loss.percent", kind: "changed", before: 5, after: 3 },
        { path: "filters.0", kind: "added", before: undefined, after: { kind: "compare" } },
        { path: "exit", kind: "removed", before: { kind: "not" }, after: undefined },
      ],
    });
  });

  it("says so when nothing changed", () => {
    render(<DiffView diff={null} emptyText="Nothing changed." />);
    expect(screen.getByText("Nothing changed.")).toBeInTheDocument();
  });
});
