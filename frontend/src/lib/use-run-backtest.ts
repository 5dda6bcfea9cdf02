"use client";
import * as React from "react";
import { useRouter } from "next/navigation";
import { useQueryClient } from "@tanstack/react-query";
import { toast } from "@/lib/toast";
import { backtests, type RunRequest } from "@/lib/api/endpoints";
import { problemOf } from "@/components/problem";

/** Starts a backtest and opens its live dashboard. */
export function useRunBacktest() {
  const router = useRouter();
  const qc = useQueryClient();
  const [running, setRunning] = React.useState(false);
  const run = React.useCallback(
    async (req: RunRequest) => {
      setRunning(true);
      try {
        const { id } = await backtests.run(req);
        void qc.invalidateQueries({ queryKey: ["backtests"] });
        router.push(`/backtests/view/?id=${encodeURIComponent(id)}`);
      } catch (err) {
        const p = problemOf(err);
        toast.error(p.title, { description: p.detail ?? undefined });
      } finally {
        setRunning(false);
      }
    },
    [qc, router],
  );
  return { run, running };
}
