"use client";
import { useQuery } from "@tanstack/react-query";
import { backtests } from "@/lib/api/endpoints";

/** Strategy version of each recent run (the list's summaries carry it; a single run does not). */
export function useRunVersions(): Map<string, number> {
  const q = useQuery({ queryKey: ["backtests", "versions"], queryFn: () => backtests.list(), staleTime: 30_000 });
  const m = new Map<string, number>();
  for (const r of q.data?.items ?? []) if (typeof r.strategy_version === "number") m.set(r.id, r.strategy_version);
  return m;
}
