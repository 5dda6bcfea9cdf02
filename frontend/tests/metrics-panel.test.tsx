import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import { MetricsPanel } from "@/components/backtest/metrics-panel";
import { GateReport } from "@/components/backtest/gate-report";
import { RobustnessReport } from "@/components/backtest/robustness-report";
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

describe("RobustnessReport", () => {
  it("shows the Deflated Sharpe and the bootstrap beside the gates", () => {
    render(
      <RobustnessReport
        robustness={{
          deflated_sharpe: {
            sharpe_annual: 1.2,
            expected_max_sharpe_annual: 0,
            n_trials: 1,
            observations: 1000,
            skewness: -0.2,
            kurtosis: 4.1,
            probabilistic_sharpe: 0.93,
            deflated_sharpe: 0.93,
          },
          bootstrap: {
            paths: 1000,
            trades: 40,
            band_low_pct: 5,
            band_high_pct: 95,
            after_trade: [1, 2],
            equity_low: [99000, 98000],
            equity_median: [100500, 101000],
            equity_high: [102000, 104000],
            final_return_pct_low: -4.5,
            final_return_pct_median: 8.2,
            final_return_pct_high: 21.0,
            max_drawdown_pct_median: 7.5,
            max_drawdown_pct_high: 14.25,
            observed_max_drawdown_pct: 9.1,
            prob_drawdown_at_least_observed: 0.31,
            prob_loss: 0.12,
          },
        }}
      />,
    );
    const box = screen.getByTestId("robustness");
    expect(within(box).getByText("Deflated Sharpe").nextElementSibling).toHaveTextContent("93.0%");
    expect(within(box).getByText("Drawdown ≥ observed").nextElementSibling).toHaveTextContent("31.0%");
    expect(within(box).getByText("-4.50% … +21.00%")).toBeInTheDocument();
  });

  it("renders nothing without data", () => {
    const { container } = render(<RobustnessReport robustness={null} />);
    expect(container).toBeEmptyDOMElement();
  });
});
