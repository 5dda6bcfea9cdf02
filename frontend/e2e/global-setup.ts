import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Starts the real platform with the repo's dev supervisor for the "stack" project:
 *   uv run vt-dev up   (from the repo root, on the e2e ports below)
 * and waits for "all services ready". Never throws: the outcome is written to
 * test-results/stack-state.json and the stack tests fail with its reason, so the "ui" project
 * still runs when the backend cannot start. VT_E2E_STACK=0 skips it.
 */
export const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const REPO = resolve(FRONTEND, "..");
export const STATE_FILE = join(FRONTEND, "test-results", "stack-state.json");
// Ports: another worktree may run its own stack at the same time, so every port can be moved:
// VT_E2E_PORT_BASE (gateway; services +1..+6; proxy +91), VT_E2E_PG_PORT, VT_E2E_REDIS_PORT.
const BASE = Number(process.env.VT_E2E_PORT_BASE ?? 18000);
export const GATEWAY = `http://127.0.0.1:${BASE}`;
const PROXY_PORT = BASE + 91;

export const STACK_ENV: Record<string, string> = {
  VT_VAR_DIR: join(REPO, "var", "e2e"),
  GATEWAY_PORT: String(BASE),
  STRATEGY_AI_PORT: String(BASE + 1),
  BACKTEST_ENGINE_PORT: String(BASE + 2),
  MARKET_DATA_PORT: String(BASE + 3),
  MARKET_RESEARCH_PORT: String(BASE + 4),
  TRADING_PORT: String(BASE + 5),
  TRADING_LIVE_PORT: String(BASE + 6),
  VT_EMBEDDED_PG_PORT: process.env.VT_E2E_PG_PORT ?? "55442",
  VT_EMBEDDED_REDIS_PORT: process.env.VT_E2E_REDIS_PORT ?? "56389",
  VT_FRONTEND_DIR: join(FRONTEND, "out"),
};

export interface StackState {
  ok: boolean;
  baseURL?: string;
  error?: string;
  pid?: number;
  proxyPid?: number;
  servedBy?: "gateway" | "proxy";
  log: string;
}

function write(state: StackState) {
  mkdirSync(join(FRONTEND, "test-results"), { recursive: true });
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<string | null> {
  return new Promise((res) => {
    let buf = "";
    const timer = setTimeout(() => res(`not ready after ${timeoutMs / 1000} s (see the stack log)`), timeoutMs);
    const onData = (d: Buffer) => {
      buf = (buf + d.toString()).slice(-20_000);
      if (/all services ready/.test(buf)) {
        clearTimeout(timer);
        res(null);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      res(`vt-dev exited with code ${code} before it was ready: ${buf.split("\n").slice(-8).join(" | ")}`);
    });
  });
}

async function gatewayServesApp(): Promise<boolean> {
  try {
    const r = await fetch(`${GATEWAY}/login/`);
    return r.ok && (await r.text()).includes("VibeTrading");
  } catch {
    return false;
  }
}

export default async function globalSetup() {
  const log = join(FRONTEND, "test-results", "stack.log");
  if (process.env.VT_E2E_STACK === "0") {
    write({ ok: false, error: "skipped (VT_E2E_STACK=0)", log });
    return;
  }
  mkdirSync(join(FRONTEND, "test-results"), { recursive: true });
  const fd = openSync(log, "w");
  const child = spawn("uv", ["run", "--frozen", "vt-dev", "up"], {
    cwd: REPO,
    env: { ...process.env, ...STACK_ENV },
    detached: true, // own process group: teardown signals the whole tree
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => writeSync(fd, d));
  child.stderr?.on("data", (d: Buffer) => writeSync(fd, d));
  const state: StackState = { ok: false, pid: child.pid, log };
  write(state);
  const err = await waitForReady(child, Number(process.env.VT_E2E_STACK_TIMEOUT_MS ?? 360_000));
  if (err) {
    write({ ...state, error: err });
    return;
  }
  child.stdout?.removeAllListeners("data");
  child.stderr?.removeAllListeners("data");
  child.stdout?.resume();
  child.stderr?.resume();
  if (await gatewayServesApp()) {
    write({ ...state, ok: true, baseURL: GATEWAY, servedBy: "gateway" });
    return;
  }
  // The gateway does not serve the static export (yet): serve out/ ourselves and proxy /api to it.
  const proxy = spawn("node", [join(FRONTEND, "e2e", "serve.mjs")], {
    env: { ...process.env, PORT: String(PROXY_PORT), API_PROXY: GATEWAY },
    detached: true,
    stdio: "ignore",
  });
  for (let i = 0; i < 50; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${PROXY_PORT}/login/`)).ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  write({ ...state, ok: true, baseURL: `http://127.0.0.1:${PROXY_PORT}`, servedBy: "proxy", proxyPid: proxy.pid });
}
