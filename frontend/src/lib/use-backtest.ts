"use client";
import * as React from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { backtests } from "@/lib/api/endpoints";
import type { BacktestRun } from "@/lib/api/types";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/**
 * A backtest run with live status: server-sent events from /backtest/{id}/events update progress
 * as it happens; polling every 1.5 s covers a proxy that buffers or a stream that drops.
 */
export function useBacktestRun(id: string | null) {
  const qc = useQueryClient();
  const key = React.useMemo(() => ["backtest", id], [id]);
  const query = useQuery<BacktestRun, Error>({
    queryKey: key,
    queryFn: () => backtests.get(id!),
    enabled: !!id,
    refetchInterval: (q) => (q.state.data && TERMINAL.has(q.state.data.status) ? false : 1500),
    staleTime: (q) => (q.state.data && TERMINAL.has(q.state.data.status) ? Infinity : 0),
  });
  const status = query.data?.status;

  React.useEffect(() => {
    if (!id || !status || TERMINAL.has(status) || typeof EventSource === "undefined") return;
    const es = new EventSource(backtests.eventsUrl(id), { withCredentials: true });
    const onData = (e: MessageEvent<string>) => {
      try {
        const ev = JSON.parse(e.data) as Partial<BacktestRun>;
        qc.setQueryData<BacktestRun>(key, (old) =>
          old ? { ...old, status: ev.status ?? old.status, progress: typeof ev.progress === "number" ? ev.progress : old.progress } : old,
        );
        if (ev.status && TERMINAL.has(ev.status)) {
          es.close();
          void qc.invalidateQueries({ queryKey: key });
        }
      } catch {
        /* keep-alives and non-JSON lines */
      }
    };
    es.onmessage = onData;
    for (const name of ["progress", "status", "queued", "running", "succeeded", "failed", "cancelled", "done"]) es.addEventListener(name, onData as EventListener);
    es.onerror = () => es.close(); // polling continues
    return () => es.close();
  }, [id, status, qc, key]);

  return query;
}
