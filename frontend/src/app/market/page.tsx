"use client";
import * as React from "react";
import { useRouter, useSearchParams } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { Search } from "lucide-react";
import { AppShell, PageHeader } from "@/components/layout/app-shell";
import { PriceChart } from "@/components/charts";
import { InsightWidget } from "@/components/market/insight-widget";
import { ProblemAlert } from "@/components/problem";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/progress";
import { market } from "@/lib/api/endpoints";
import { fmtNum, fmtPct } from "@/lib/format";
import { cn } from "@/lib/utils";

const QUICK = ["SAMPLE:AAPL", "SAMPLE:MSFT", "SAMPLE:IBM", "SAMPLE:GOOG", "DEMO:TREND", "DEMO:RANGE"];
const TIMEFRAMES = ["1d", "1w", "1h"].map((t) => ({ value: t, label: t }));

function SymbolSearch({ onPick }: { onPick: (s: string) => void }) {
  const [q, setQ] = React.useState("");
  const [debounced, setDebounced] = React.useState("");
  const [open, setOpen] = React.useState(false);
  const [active, setActive] = React.useState(0);
  React.useEffect(() => {
    const h = setTimeout(() => setDebounced(q.trim()), 200);
    return () => clearTimeout(h);
  }, [q]);
  const results = useQuery({ queryKey: ["symbols", debounced], queryFn: () => market.symbols(debounced), enabled: debounced.length > 0 });
  const items = results.data ?? [];
  const pick = (s: string) => {
    onPick(s);
    setQ("");
    setOpen(false);
  };
  return (
    <div className="relative w-full max-w-md">
      <Label htmlFor="symbol-search" className="sr-only">
        Search symbols
      </Label>
      <Search className="pointer-events-none absolute left-2.5 top-2.5 size-4 text-muted-foreground" aria-hidden />
      <Input
        id="symbol-search"
        role="combobox"
        aria-expanded={open && items.length > 0}
        aria-controls="symbol-results"
        aria-autocomplete="list"
        aria-activedescendant={open && items[active] ? `sym-${active}` : undefined}
        className="pl-8"
        placeholder="Search symbols, e.g. AAPL, BTC, SAMPLE:IBM"
        value={q}
        onChange={(e) => {
          setQ(e.target.value);
          setOpen(true);
          setActive(0);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") setActive((a) => Math.min(a + 1, items.length - 1));
          else if (e.key === "ArrowUp") setActive((a) => Math.max(a - 1, 0));
          else if (e.key === "Enter") {
            e.preventDefault();
            if (items[active]) pick(items[active].symbol);
            else if (q.trim()) pick(q.trim().toUpperCase());
          } else if (e.key === "Escape") setOpen(false);
        }}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
      />
      {open && debounced ? (
        <ul id="symbol-results" role="listbox" aria-label="Matching symbols" className="absolute z-30 mt-1 max-h-72 w-full overflow-auto rounded-md border bg-popover p-1 shadow-md">
          {results.isPending ? <li className="px-2 py-1.5 text-sm text-muted-foreground">Searching…</li> : null}
          {results.isError ? <li className="px-2 py-1.5 text-sm text-destructive">{results.error.message}</li> : null}
          {results.data && !items.length ? <li className="px-2 py-1.5 text-sm text-muted-foreground">No symbol matches “{debounced}”. Press Enter to try it anyway.</li> : null}
          {items.map((s, i) => (
            <li
              key={s.symbol}
              id={`sym-${i}`}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(s.symbol);
              }}
              className={cn("flex cursor-pointer items-baseline justify-between gap-2 rounded-sm px-2 py-1.5 text-sm", i === active && "bg-accent")}
            >
              <span className="font-medium">{s.symbol}</span>
              <span className="truncate text-xs text-muted-foreground">{[s.name, s.market].filter(Boolean).join(" · ")}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function Market() {
  const params = useSearchParams();
  const router = useRouter();
  const symbol = params.get("symbol") ?? "SAMPLE:AAPL";
  const [timeframe, setTimeframe] = React.useState(params.get("timeframe") ?? "1d");
  const data = useQuery({ queryKey: ["market", symbol, timeframe], queryFn: () => market.data(symbol, timeframe), staleTime: 5 * 60_000 });
  const insight = useQuery({ queryKey: ["insight", symbol], queryFn: () => market.insight(symbol), staleTime: 5 * 60_000 });
  const go = (s: string, tf = timeframe) => router.replace(`/market/?symbol=${encodeURIComponent(s)}&timeframe=${tf}`);
  const f = data.data;
  const last = f ? f.close.length - 1 : -1;
  const change = f && last > 0 ? (f.close[last] / f.close[last - 1] - 1) * 100 : null;
  return (
    <>
      <PageHeader title="Market" description="Prices, volume and an explainable read of the regime." />
      <div className="mb-4 flex flex-wrap items-center gap-2">
        <SymbolSearch onPick={(s) => go(s)} />
        <div className="w-24">
          <Select aria-label="Timeframe" value={timeframe} onValueChange={(tf) => { setTimeframe(tf); go(symbol, tf); }} options={TIMEFRAMES} />
        </div>
      </div>
      <div className="mb-4 flex flex-wrap gap-1.5" aria-label="Offline sample symbols" role="group">
        {QUICK.map((s) => (
          <button
            key={s}
            type="button"
            onClick={() => go(s)}
            aria-pressed={s === symbol}
            className={cn("cursor-pointer rounded-full border px-3 py-1 text-xs hover:bg-accent", s === symbol && "border-primary bg-primary/10 text-primary")}
          >
            {s}
          </button>
        ))}
      </div>
      <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <Card>
          <CardHeader className="pb-2">
            <CardTitle className="flex flex-wrap items-baseline gap-x-3">
              <span>{symbol}</span>
              {f && last >= 0 ? (
                <span className="tabular text-base font-normal">
                  {fmtNum(f.close[last])}{" "}
                  <span className={cn(change !== null && change >= 0 ? "text-success" : "text-destructive")}>{fmtPct(change)}</span>
                </span>
              ) : null}
            </CardTitle>
            {f ? (
              <p className="flex flex-wrap gap-2 text-xs text-muted-foreground">
                <span>{f.label ?? f.provider}</span>
                <span>{f.timestamps.length} bars</span>
                {f.quality.issues?.map((i) => (
                  <Badge key={i.kind} variant="warning" title={i.detail}>
                    {i.kind.replace(/_/g, " ")} ×{i.count}
                  </Badge>
                ))}
              </p>
            ) : null}
          </CardHeader>
          <CardContent>
            {data.isPending ? <Skeleton className="h-[420px] w-full" /> : null}
            {data.isError ? <ProblemAlert error={data.error} onRetry={() => void data.refetch()} /> : null}
            {f ? <PriceChart frame={f} height={420} label={`${symbol} ${timeframe} candles and volume, ${f.timestamps.length} bars`} /> : null}
          </CardContent>
        </Card>
        <Card>
          <CardContent className="pt-4 sm:pt-5">
            {insight.isPending ? <Skeleton className="h-72 w-full" /> : null}
            {insight.isError ? <ProblemAlert error={insight.error} title="No insight for this symbol" onRetry={() => void insight.refetch()} /> : null}
            {insight.data ? <InsightWidget insight={insight.data} /> : null}
          </CardContent>
        </Card>
      </div>
    </>
  );
}

export default function MarketPage() {
  return (
    <AppShell title="Market">
      <React.Suspense fallback={<Skeleton className="h-96 w-full" />}>
        <Market />
      </React.Suspense>
    </AppShell>
  );
}
