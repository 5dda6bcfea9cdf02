import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { StrategyCard } from "@/components/strategy/strategy-card";
import spec from "./fixtures/sma-cross.spec.json";
import type { StrategySpec } from "@/lib/api/types";

vi.mock("next/link", () => ({ default: ({ href, children, ...p }: { href: string; children: React.ReactNode }) => <a href={href} {...p}>{children}</a> }));

const reply = {
  strategy_id: "s1",
  version: 2,
  spec: spec as unknown as StrategySpec,
  code: "def generate_signals(data, params):\n    return entries, exits\n",
  explanation: {
    summary: "Buys when the fast average crosses above the slow one.",
    rules: ["5% stop loss", "long only"],
    indicators: [{ id: "fast", kind: "sma", reading: "20-day SMA of the close" }],
    signal_frequency: { status: "computed" as const, detail: "About 2 entries per year." },
  },
  warnings: ["Only 12 trades: the result is not statistically meaningful."],
  diff: [{ path: "risk.stop_loss.percent", old: 3, new: 5 }],
  safety_report: { ok: true, generated_from_spec: true, violations: [] },
};

describe("StrategyCard", () => {
  it("shows name, version, summary badges, warnings and the changes tab first when there is a diff", () => {
    render(<StrategyCard reply={reply} />);
    expect(screen.getByRole("heading", { name: "SMA 20/50 cross on AAPL" })).toBeInTheDocument();
    expect(screen.getByText("v2")).toBeInTheDocument();
    expect(screen.getByText("SAMPLE:AAPL")).toBeInTheDocument();
    expect(screen.getByText("2005-01-01 → 2012-12-31")).toBeInTheDocument();
    expect(screen.getByRole("note", { name: "Warnings" })).toHaveTextContent("Only 12 trades");
    expect(screen.getByRole("tab", { name: "Changes" })).toHaveAttribute("aria-selected", "true");
    expect(screen.getByTestId("diff-change")).toHaveTextContent("risk.stop_loss.percent");
    expect(screen.getByTestId("diff-change")).toHaveTextContent(/3.*5/);
  });

  it("switches between explanation, spec and code tabs", async () => {
    const user = userEvent.setup();
    render(<StrategyCard reply={{ ...reply, diff: null }} />);
    expect(screen.getByRole("tab", { name: "Explanation" })).toHaveAttribute("aria-selected", "true");
    expect(screen.queryByRole("tab", { name: "Changes" })).not.toBeInTheDocument();
    expect(screen.getByText("5% stop loss").tagName).toBe("LI");
    expect(screen.getByText("About 2 entries per year.")).toBeInTheDocument();
    expect(screen.getByText("20-day SMA of the close")).toBeInTheDocument();
    await user.click(screen.getByRole("tab", { name: "Spec" }));
    expect(screen.getByLabelText("StrategySpec JSON")).toHaveTextContent('"crosses_above"');
    await user.click(screen.getByRole("tab", { name: "Code" }));
    expect(screen.getByLabelText("Generated Python", { exact: true })).toHaveTextContent("def generate_signals");
    expect(screen.getByTestId("safety-report")).toHaveTextContent("passed sandbox checks");
  });

  it("runs the backtest and links to the editor", () => {
    const onRun = vi.fn();
    render(<StrategyCard reply={reply} onRun={onRun} />);
    fireEvent.click(screen.getByRole("button", { name: /run backtest/i }));
    expect(onRun).toHaveBeenCalledOnce();
    expect(screen.getByRole("link", { name: /edit spec/i })).toHaveAttribute("href", "/editor/?id=s1");
  });
});
