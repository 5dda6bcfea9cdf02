import { existsSync, readFileSync } from "node:fs";
import { STATE_FILE, type StackState } from "./global-setup";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stop(pid: number | undefined, graceMs: number) {
  if (!pid || !alive(pid)) return;
  try {
    process.kill(-pid, "SIGTERM"); // the process group started by global-setup
  } catch {
    process.kill(pid, "SIGTERM");
  }
  const until = Date.now() + graceMs;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  if (alive(pid)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
}

export default async function globalTeardown() {
  if (!existsSync(STATE_FILE)) return;
  const s = JSON.parse(readFileSync(STATE_FILE, "utf8")) as StackState;
  await stop(s.proxyPid, 5_000);
  await stop(s.pid, 45_000);
}
