import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import { MetricsPanel } from "@/components/backtest/metrics-panel";
import { GateReport } from "@/components/backtest/gate-report";
import { result } from "./fixtures/result";

describe("MetricsPanel", () => {
  it("shows headline metrics with signs and tone", () => {
    render(<MetricsPanel stats={result.summary_stats} />);
    const head = screen.getByTestId("headline-metrics");
    expect(within(head).getByText("+23.46%")).toHaveClass("text-success");
    expect(within(head).getByText("-18.25%")).toHaveClass("text-destructive");
    expect(within(head).getByText("0.41")).toBeInTheDocument();
  });

  it("renders undefined values as a dash, and money and periods", () => {
    render(<MetricsPanel stats={result.summary_stats} />);
    const panel = screen.getByTestId("metrics-panel");
    const pf = within(panel).getByText("Profit factor").nextElementSibling;
    expect(pf).toHaveTextContent("—");
    expect(within(panel).getByText("$12,345.67")).toBeInTheDocument();
    expect(within(panel).getByText("2005-01-03 → 2012-12-31")).toBeInTheDocument();
    expect(within(panel).getByText("-3.50%")).toHaveClass("text-destructive");
  });
});

describe("GateReport", () => {
  it("shows pass/fail per gate and the summary", () => {
    render(<GateReport gates={result.gates!} />);
    expect(screen.getByTestId("gates-summary")).toHaveTextContent("1/2 passed");
    const gates = screen.getAllByTestId("gate");
    expect(gates[0]).toHaveTextContent(/Min sharpe\s*failed/);
    expect(gates[0]).toHaveTextContent("threshold 0.500");
    expect(gates[1]).toHaveTextContent(/passed/);
  });
});
