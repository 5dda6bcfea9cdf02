"use client";
import * as React from "react";
import {
  AreaSeries,
  CandlestickSeries,
  ColorType,
  createChart,
  createSeriesMarkers,
  HistogramSeries,
  LineSeries,
  LineStyle,
  PriceScaleMode,
  type IChartApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";
import { useTheme } from "next-themes";
import type { OHLCVFrame, Series, Trade } from "@/lib/api/types";
import { DARK, ENTRY_LONG, ENTRY_SHORT, EXIT_STYLE, LIGHT, type ChartPalette } from "@/components/charts/palette";

export const toTime = (iso: string): UTCTimestamp => Math.floor(Date.parse(iso) / 1000) as UTCTimestamp;

function usePalette(): ChartPalette {
  const { resolvedTheme } = useTheme();
  return resolvedTheme === "dark" ? DARK : LIGHT;
}

function fontFamily(): string {
  return typeof document === "undefined" ? "system-ui, sans-serif" : getComputedStyle(document.body).fontFamily || "system-ui, sans-serif";
}

/** Decimals that tell neighbouring tick marks apart (step 50 -> 0, step 0.5 -> 1, step 0.02 -> 2). */
function decimalsFor(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  let step = Infinity;
  for (let i = 1; i < sorted.length; i++) step = Math.min(step, sorted[i] - sorted[i - 1] || Infinity);
  if (!Number.isFinite(step)) step = Math.abs(sorted[0] ?? 1) || 1;
  return Math.min(4, Math.max(0, Math.ceil(-Math.log10(step) + 1e-9)));
}

const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

/** Axis labels people read: 180K, 1.2M, 2,500, 12.5, 250% — never 180000.00. */
export function axisLabels(values: number[], percent: boolean): string[] {
  if (!values.length) return [];
  const max = Math.max(...values.map(Math.abs));
  const d = decimalsFor(values);
  if (percent) return values.map((v) => `${v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d })}%`);
  if (max >= 10_000) return values.map((v) => compact.format(v));
  return values.map((v) => v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }));
}

/** Crosshair and tooltip values: grouped thousands, 2 decimals (4 under 1). */
export function valueLabel(v: number, percent = false): string {
  const d = Math.abs(v) < 1 && v !== 0 && !percent ? 4 : 2;
  return `${v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d })}${percent ? "%" : ""}`;
}

const MONTH = new Intl.DateTimeFormat("en-US", { month: "short", timeZone: "UTC" });

/** Time axis labels: 2012 · Mar · Dec 13 (a bare "13" beside years reads like a year). */
export function timeLabel(time: Time, type: number): string | null {
  if (typeof time !== "number") return null;
  const d = new Date(time * 1000);
  if (type === 0) return String(d.getUTCFullYear());
  if (type === 1) return MONTH.format(d);
  if (type === 2) return `${MONTH.format(d)} ${d.getUTCDate()}`;
  return null;
}

function baseOptions(p: ChartPalette, percent = false) {
  return {
    autoSize: true,
    layout: { background: { type: ColorType.Solid, color: p.bg }, textColor: p.text, fontFamily: fontFamily(), attributionLogo: false },
    grid: { vertLines: { color: p.grid }, horzLines: { color: p.grid } },
    rightPriceScale: { borderColor: p.border, scaleMargins: { top: 0.08, bottom: 0.08 } },
    // fixed edges: lightweight-charts then moves the first and last time labels inside the axis
    // instead of cutting them in half at the edges
    timeScale: { borderColor: p.border, timeVisible: false, minBarSpacing: 0.01, fixLeftEdge: true, fixRightEdge: true, tickMarkFormatter: timeLabel },
    localization: {
      priceFormatter: (v: number) => valueLabel(v, percent),
      tickmarksPriceFormatter: (vs: number[]) => axisLabels(vs, percent),
    },
    crosshair: { mode: 0 },
  } as const;
}

/** The chart instance on its element, for end-to-end checks of options and coordinates. */
function expose(el: HTMLElement, chart: IChartApi) {
  (el as HTMLElement & { __chart?: IChartApi }).__chart = chart;
}

/** Whitespace bars before the first one, so the first time label (a year) is not clipped. */
function leftPad(times: number[], widthPx: number): { time: UTCTimestamp }[] {
  // sparse series (a point per trade) have room between labels; padding would add a fake year
  if (times.length < 200) return [];
  const step = Math.max(1, Math.round((times[times.length - 1] - times[0]) / (times.length - 1)));
  // ~24 px of the plot (its width less the price axis) before the first bar
  const k = Math.max(3, Math.ceil((times.length * 24) / Math.max(150, widthPx - 70)));
  const out: { time: UTCTimestamp }[] = [];
  for (let i = k; i >= 1; i--) out.push({ time: (times[0] - i * step) as UTCTimestamp });
  return out;
}

/** Entry and exit markers for trades, sorted by time; the exit's style tells why it closed. */
export function tradeMarkers(trades: Trade[], showText: boolean): SeriesMarker<Time>[] {
  const out: SeriesMarker<Time>[] = [];
  for (const t of trades) {
    const long = t.direction === "long";
    out.push({
      time: toTime(t.entry_time),
      position: long ? "belowBar" : "aboveBar",
      shape: long ? "arrowUp" : "arrowDown",
      color: long ? ENTRY_LONG.color : ENTRY_SHORT.color,
      text: showText ? (long ? "B" : "S") : undefined,
    });
    if (t.exit_time && !t.is_open) {
      const s = EXIT_STYLE[t.exit_reason ?? "signal"] ?? EXIT_STYLE.signal;
      out.push({
        time: toTime(t.exit_time),
        position: long ? "aboveBar" : "belowBar",
        shape: s.shape,
        color: s.color,
        text: showText || (t.exit_reason && t.exit_reason !== "signal") ? s.code : undefined,
      });
    }
  }
  return out.sort((a, b) => (a.time as number) - (b.time as number));
}

export interface PriceChartProps {
  frame: Pick<OHLCVFrame, "timestamps" | "open" | "high" | "low" | "close" | "volume">;
  trades?: Trade[];
  height?: number;
  showVolume?: boolean;
  label: string;
  onRendered?: (ms: number, syncMs: number) => void;
  /** Zoom to this period (a trade) instead of the whole history. */
  focus?: { from: string; to: string } | null;
  /** Logarithmic price scale. */
  logScale?: boolean;
}

/** The trade's period with as much again on each side (at least 30 days). */
function focusRange(f: { from: string; to: string }) {
  const a = toTime(f.from), b = toTime(f.to);
  const pad = Math.max(b - a, 30 * 86400);
  return { from: (a - pad) as UTCTimestamp, to: (b + pad) as UTCTimestamp };
}

export function PriceChart({ frame, trades, height = 360, showVolume = true, label, onRendered, focus = null, logScale = false }: PriceChartProps) {
  const ref = React.useRef<HTMLDivElement>(null);
  const palette = usePalette();
  const chartRef = React.useRef<IChartApi | null>(null);
  const focusRef = React.useRef(focus);
  focusRef.current = focus;
  const logRef = React.useRef(logScale);
  logRef.current = logScale;
  const view = React.useCallback((chart: IChartApi) => {
    if (focusRef.current) chart.timeScale().setVisibleRange(focusRange(focusRef.current));
    else chart.timeScale().fitContent();
  }, []);

  React.useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const t0 = performance.now();
    const chart = createChart(el, baseOptions(palette));
    chartRef.current = chart;
    expose(el, chart);
    const candles = chart.addSeries(CandlestickSeries, {
      lastValueVisible: false,
      priceLineVisible: false,
      upColor: palette.up,
      downColor: palette.down,
      borderVisible: false,
      wickUpColor: palette.up,
      wickDownColor: palette.down,
    });
    const n = frame.timestamps.length;
    const data = new Array(n);
    for (let i = 0; i < n; i++) {
      data[i] = { time: toTime(frame.timestamps[i]), open: frame.open[i], high: frame.high[i], low: frame.low[i], close: frame.close[i] };
    }
    candles.setData([...leftPad(data.map((d: { time: number }) => d.time), el.clientWidth), ...data]);
    chart.priceScale("right").applyOptions({ mode: logRef.current ? PriceScaleMode.Logarithmic : PriceScaleMode.Normal });
    const ro = new ResizeObserver(() => view(chart));
    ro.observe(el);
    if (showVolume) {
      // Volume in its own pane below the candles: separate scales, no overlap.
      const vol = chart.addSeries(HistogramSeries, { priceFormat: { type: "volume" }, lastValueVisible: false, priceLineVisible: false }, 1);
      chart.panes()[1]?.setStretchFactor(0.22);
      chart.panes()[0]?.setStretchFactor(0.78);
      const vdata = new Array(n);
      for (let i = 0; i < n; i++) {
        vdata[i] = { time: data[i].time, value: frame.volume[i], color: frame.close[i] >= frame.open[i] ? palette.volumeUp : palette.volumeDown };
      }
      vol.setData(vdata);
    }
    if (trades?.length) createSeriesMarkers(candles, tradeMarkers(trades, trades.length <= 40));
    view(chart);
    const syncMs = performance.now() - t0;
    // lightweight-charts paints on the next animation frame; the second frame is after that paint.
    let raf = requestAnimationFrame(() => {
      raf = requestAnimationFrame(() => onRendered?.(performance.now() - t0, syncMs));
    });
    return () => {
      cancelAnimationFrame(raf);
      ro.disconnect();
      chart.remove();
      chartRef.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [frame, trades, showVolume, palette]);

  React.useEffect(() => {
    if (chartRef.current) view(chartRef.current);
  }, [focus, view]);
  React.useEffect(() => {
    chartRef.current?.priceScale("right").applyOptions({ mode: logScale ? PriceScaleMode.Logarithmic : PriceScaleMode.Normal });
  }, [logScale]);

  return (
    <figure className="m-0">
      <figcaption className="sr-only">{label}</figcaption>
      <div ref={ref} aria-hidden="true" style={{ height }} className="w-full" data-testid="price-chart" />
    </figure>
  );
}

export interface LineDef {
  name: string;
  series: Series;
  color?: string;
  kind?: "line" | "area";
  dashed?: boolean;
  /** Format values as percent. */
  percent?: boolean;
}

export function LinesChart({ lines, height = 280, label, onRendered }: { lines: LineDef[]; height?: number; label: string; onRendered?: (ms: number) => void }) {
  const ref = React.useRef<HTMLDivElement>(null);
  const palette = usePalette();

  React.useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const t0 = performance.now();
    const percent = lines.some((l) => l.percent);
    const chart = createChart(el, baseOptions(palette, percent));
    expose(el, chart);
    const ro = new ResizeObserver(() => chart.timeScale().fitContent());
    ro.observe(el);
    lines.forEach((l, idx) => {
      const color = l.color ?? palette.series[idx % palette.series.length];
      const priceFormat = { type: "custom" as const, formatter: (v: number) => valueLabel(v, !!l.percent), minMove: 0.01 };
      // No name or last-value tags on the line or the axis: the legend below names the lines.
      const common = { priceFormat, lastValueVisible: false, priceLineVisible: false };
      const s =
        l.kind === "area"
          ? chart.addSeries(AreaSeries, { ...common, lineColor: color, topColor: `${color}55`, bottomColor: `${color}08`, lineWidth: 2 })
          : chart.addSeries(LineSeries, { ...common, color, lineWidth: 2, lineStyle: l.dashed ? LineStyle.Dashed : LineStyle.Solid });
      const pts: { time: UTCTimestamp; value: number }[] = [];
      let lastT = -Infinity;
      for (let i = 0; i < l.series.timestamps.length; i++) {
        const v = l.series.values[i];
        const t = toTime(l.series.timestamps[i]);
        if (v === null || v === undefined || !Number.isFinite(v) || t <= lastT) continue;
        pts.push({ time: t, value: v });
        lastT = t;
      }
      s.setData(idx === 0 ? [...leftPad(pts.map((p) => p.time), el.clientWidth), ...pts] : pts);
    });
    chart.timeScale().fitContent();
    let raf = requestAnimationFrame(() => {
      raf = requestAnimationFrame(() => onRendered?.(performance.now() - t0));
    });
    return () => {
      cancelAnimationFrame(raf);
      ro.disconnect();
      chart.remove();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lines, palette]);

  return (
    <figure className="m-0">
      <p className="sr-only">{label}</p>
      <div ref={ref} aria-hidden="true" style={{ height }} className="w-full" data-testid="line-chart" />
      <figcaption className="mt-2 flex flex-wrap gap-3 text-xs text-muted-foreground">
        {lines.map((l, idx) => (
          <span key={l.name} className="inline-flex items-center gap-1.5">
            <span aria-hidden className="inline-block h-0.5 w-4" style={{ background: l.color ?? palette.series[idx % palette.series.length], borderTop: l.dashed ? "1px dashed" : undefined }} />
            {l.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
