#!/usr/bin/env node
// `npm install` here records no lock entry for some platform builds of optional native packages
// (other OSes' @next/swc-*, @tailwindcss/oxide-*), and `npm ci` then refuses the lock
// ("Missing: … from lock file"). This adds those entries with the os/cpu/libc their names say,
// so `npm ci` accepts the lock and skips them on other platforms. Run after `npm install`:
//   npm run fix-lock
import { readFileSync, writeFileSync } from "node:fs";

const FILE = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(FILE, "utf8"));
const pkgs = lock.packages;
const OS = ["android", "darwin", "freebsd", "linux", "win32", "openbsd", "sunos", "aix"];
const CPU = { arm64: "arm64", x64: "x64", ia32: "ia32", arm: "arm", wasm32: "wasm32", riscv64: "riscv64", ppc64: "ppc64", s390x: "s390x", loong64: "loong64" };

function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  const out = {};
  const os = parts.find((p) => OS.includes(p));
  if (os) out.os = [os];
  const cpu = parts.find((p) => p in CPU);
  if (cpu) out.cpu = [CPU[cpu]];
  if (parts.includes("musl")) out.libc = ["musl"];
  else if (os === "linux" && (parts.includes("gnu") || parts.includes("gnueabihf"))) out.libc = ["glibc"];
  return out;
}

let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (pkgs[key] || pkgs[`${path}/node_modules/${dep}`]) continue;
    const plat = platformOf(dep);
    if (!plat.os && !plat.cpu) continue; // not a platform build: leave it to npm
    pkgs[key] = { version, ...(meta.dev ? { dev: true } : {}), optional: true, ...plat };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
writeFileSync(FILE, JSON.stringify(lock, null, 2) + "\n");
console.log(`package-lock.json: added ${added} platform-specific optional entries`);
