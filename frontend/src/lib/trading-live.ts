"use client";
import * as React from "react";
import { useQueryClient } from "@tanstack/react-query";
import { rawRequest } from "@/lib/api/client";
import { tk } from "@/lib/api/trading";
import { toast } from "@/lib/toast";

export type LiveStatus = "connecting" | "live" | "offline";

export interface TradingFrame {
  type: "deployment" | "target" | "order" | "fill" | "risk" | string;
  environment?: "paper" | "live";
  data?: Record<string, unknown>;
}

/** Parses one WebSocket text frame; backtest frames and junk give null. */
export function parseTradingFrame(text: string): TradingFrame | null {
  try {
    const f = JSON.parse(text) as TradingFrame;
    if (!f || typeof f !== "object" || typeof f.type !== "string" || f.type === "backtest") return null;
    if (!["deployment", "target", "order", "fill", "risk"].includes(f.type)) return null;
    return f;
  } catch {
    return null;
  }
}

/** What a risk frame says, in words (null: nothing worth a toast). */
export function riskMessage(f: TradingFrame): string | null {
  if (f.type !== "risk" || !f.data) return null;
  const d = f.data as { kind?: string; state?: string; reason?: string };
  if (d.kind === "overrides") return null;
  const env = f.environment === "live" ? "LIVE" : "Paper";
  if (d.state === "killed") return `${env} account killed${d.reason ? `: ${d.reason}` : ""}`;
  if (d.state === "active" && !d.kind) return `${env} account re-armed`;
  // a breaker trips or a halt: worth a toast; session rolls, clock changes and clears are not
  if (d.kind?.startsWith("tripped_")) return `${env} ${d.kind.slice(8).replace(/_/g, " ")} breaker tripped${d.reason ? `: ${d.reason}` : ""}`;
  if (d.state === "halted") return `${env} account halted${d.reason ? `: ${d.reason}` : ""}`;
  return null;
}

/**
 * The per-user socket `/api/v1/ws/backtests` (cookie auth on the same origin) carries trading
 * frames `{type, environment, data}`. Each one refreshes the trading queries (the rows are the
 * truth; frames only say "something changed"); reconnects with backoff, and pages keep a slow
 * poll as a fallback while it is down.
 */
export function useTradingLive(): LiveStatus {
  const qc = useQueryClient();
  const [status, setStatus] = React.useState<LiveStatus>("connecting");
  React.useEffect(() => {
    if (typeof window === "undefined" || typeof WebSocket === "undefined") return;
    let ws: WebSocket | null = null;
    let stopped = false;
    let retry = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let flush: ReturnType<typeof setTimeout> | null = null;
    let flushTargets: ReturnType<typeof setTimeout> | null = null;
    // throttled: a replay publishes many frames a second, the pages re-read at most once a second
    const invalidate = (targets = false) => {
      if (targets && !flushTargets)
        flushTargets = setTimeout(() => {
          flushTargets = null;
          void qc.invalidateQueries({ queryKey: ["trading-targets"] });
        }, 3000);
      if (flush) return;
      flush = setTimeout(() => {
        flush = null;
        void qc.invalidateQueries({ queryKey: tk.all });
      }, 1000);
    };
    const connect = () => {
      if (stopped) return;
      setStatus("connecting");
      const url = `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.host}/api/v1/ws/backtests`;
      try {
        ws = new WebSocket(url, ["vt.v1"]);
      } catch {
        schedule();
        return;
      }
      ws.onopen = () => {
        retry = 0;
        setStatus("live");
        invalidate(true); // catch up on what happened while we were away
      };
      ws.onmessage = (ev) => {
        const f = typeof ev.data === "string" ? parseTradingFrame(ev.data) : null;
        if (!f) return;
        invalidate(f.type === "target");
        const msg = riskMessage(f);
        if (msg) (f.data?.state === "killed" ? toast.error : toast.info)(msg);
      };
      ws.onclose = () => {
        ws = null;
        if (!stopped) {
          setStatus("offline");
          schedule();
        }
      };
      ws.onerror = () => ws?.close();
    };
    const schedule = () => {
      retry = Math.min(retry + 1, 6);
      timer = setTimeout(async () => {
        // a refused handshake is often an expired access cookie: refresh it (401 → /auth/refresh)
        await rawRequest("/users/me").catch(() => null);
        connect();
      }, 500 * 2 ** retry);
    };
    connect();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (flush) clearTimeout(flush);
      if (flushTargets) clearTimeout(flushTargets);
      ws?.close();
    };
  }, [qc]);
  return status;
}

/** Poll interval for trading queries: slow while the socket is live, faster when it is not. */
export function pollFor(status: LiveStatus): number {
  return status === "live" ? 15_000 : 4_000;
}
