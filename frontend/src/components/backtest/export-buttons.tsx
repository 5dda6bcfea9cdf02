"use client";
import * as React from "react";
import { Download } from "lucide-react";
import { Button } from "@/components/ui/button";
import type { BacktestResult } from "@/lib/api/types";
import { downloadText, equityToCSV, tradesToCSV } from "@/lib/csv";

export function ExportButtons({ result, name }: { result: BacktestResult; name: string }) {
  const base = name.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 60) || "backtest";
  return (
    <div className="flex flex-wrap gap-2">
      <Button variant="outline" size="sm" onClick={() => downloadText(`${base}_trades.csv`, tradesToCSV(result.trades))} data-testid="export-trades">
        <Download /> Trades CSV
      </Button>
      <Button
        variant="outline"
        size="sm"
        onClick={() => downloadText(`${base}_equity.csv`, equityToCSV(result.equity_curve, result.drawdown_curve, result.benchmark_curve))}
        data-testid="export-equity"
      >
        <Download /> Equity CSV
      </Button>
    </div>
  );
}
