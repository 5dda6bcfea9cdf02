import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import { csvCell, equityToCSV, tradesToCSV } from "@/lib/csv";
import { ExportButtons } from "@/components/backtest/export-buttons";
import { result, trades } from "./fixtures/result";

describe("CSV export", () => {
  it("quotes commas, quotes and newlines, and neutralises formulas", () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("x\ny")).toBe('"x\ny"');
    expect(csvCell("=SUM(A1)")).toBe("'=SUM(A1)");
    expect(csvCell(-5.2)).toBe("-5.2");
    expect(csvCell(null)).toBe("");
  });

  it("writes one row per trade with the exit reason", () => {
    const csv = tradesToCSV(trades);
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe("symbol,direction,entry_time,entry_price,exit_time,exit_price,exit_reason,size,pnl,return_pct,fees,duration_bars,is_open");
    expect(lines).toHaveLength(trades.length + 1);
    expect(lines[2]).toBe("SAMPLE:AAPL,long,2007-05-01T00:00:00Z,20,2007-05-20T00:00:00Z,19,stop_loss,50,-52,-5.2,2,13,false");
    expect(lines[4]).toContain(",,,"); // open trade: no exit time/price/reason
  });

  it("aligns drawdown and benchmark columns to equity timestamps", () => {
    const csv = equityToCSV(result.equity_curve, result.drawdown_curve, result.benchmark_curve);
    expect(csv.split("\r\n").slice(0, 2)).toEqual(["timestamp,equity,drawdown_pct,benchmark", "2005-01-03T00:00:00Z,10000,0,100"]);
  });

  it("downloads files named after the strategy", () => {
    const created: Blob[] = [];
    URL.createObjectURL = vi.fn((b: Blob) => {
      created.push(b);
      return "blob:x";
    }) as unknown as typeof URL.createObjectURL;
    URL.revokeObjectURL = vi.fn();
    const names: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      names.push(this.download);
    });
    render(<ExportButtons result={result} name="SMA cross / AAPL" />);
    fireEvent.click(screen.getByRole("button", { name: /trades csv/i }));
    fireEvent.click(screen.getByRole("button", { name: /equity csv/i }));
    expect(names).toEqual(["SMA_cross_AAPL_trades.csv", "SMA_cross_AAPL_equity.csv"]);
    expect(created[0].type).toContain("text/csv");
    click.mockRestore();
  });
});
