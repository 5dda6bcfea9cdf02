import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/react";
import { TradeLog, sortTrades } from "@/components/backtest/trade-log";
import { trades } from "./fixtures/result";

const firstCol = () => screen.getAllByTestId("trade-row").map((r) => within(r).getAllByRole("cell")[1].textContent);

describe("TradeLog", () => {
  it("sorts by entry time ascending by default", () => {
    render(<TradeLog trades={trades} />);
    expect(firstCol()).toEqual(["2005-02-01", "2006-01-03", "2007-05-01", "2012-11-01"]);
    expect(screen.getByRole("columnheader", { name: /entry$/i })).toHaveAttribute("aria-sort", "ascending");
  });

  it("sorts by return, descending first, then toggles", () => {
    render(<TradeLog trades={trades} />);
    const header = screen.getByRole("button", { name: /return/i });
    fireEvent.click(header);
    expect(screen.getByRole("columnheader", { name: /return/i })).toHaveAttribute("aria-sort", "descending");
    const returns = () => screen.getAllByTestId("trade-row").map((r) => within(r).getAllByRole("cell")[6].textContent);
    expect(returns()).toEqual(["+19.80%", "+18.00%", "+3.00%", "-5.20%"]);
    fireEvent.click(header);
    expect(returns()).toEqual(["-5.20%", "+3.00%", "+18.00%", "+19.80%"]);
  });

  it("keeps open trades (no exit) last whatever the direction", () => {
    const asc = sortTrades(trades, "exit_time", "asc").map((t) => t.exit_time);
    const desc = sortTrades(trades, "exit_time", "desc").map((t) => t.exit_time);
    expect(asc[asc.length - 1]).toBeNull();
    expect(desc[desc.length - 1]).toBeNull();
  });

  it("labels exit reasons and says when there are no trades", () => {
    const { rerender } = render(<TradeLog trades={trades} />);
    expect(screen.getByText("Stop loss")).toBeInTheDocument();
    expect(screen.getByText("Take profit")).toBeInTheDocument();
    rerender(<TradeLog trades={[]} />);
    expect(screen.getByText(/no trades/i)).toBeInTheDocument();
  });
});
