"use client";
import dynamic from "next/dynamic";
import { Skeleton } from "@/components/ui/progress";

function ChartSkeleton() {
  return <Skeleton className="h-72 w-full" />;
}

/** lightweight-charts is loaded on demand: pages stay light until a chart is on screen. */
export const PriceChart = dynamic(() => import("@/components/charts/charts-impl").then((m) => m.PriceChart), {
  ssr: false,
  loading: ChartSkeleton,
});
export const LinesChart = dynamic(() => import("@/components/charts/charts-impl").then((m) => m.LinesChart), {
  ssr: false,
  loading: ChartSkeleton,
});
export type { LineDef } from "@/components/charts/charts-impl";
