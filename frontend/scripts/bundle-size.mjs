#!/usr/bin/env node
// First-load JavaScript per route of the static export: the <script src> chunks each page's HTML
// loads, gzipped (level 9), summed. Lazy chunks (lightweight-charts, ajv) are listed separately.
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

const OUT = new URL("../out/", import.meta.url).pathname;
const LIMIT_KB = Number(process.env.BUNDLE_LIMIT_KB ?? 250);
const gz = (p) => gzipSync(readFileSync(p), { level: 9 }).length;

function pages(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== "_next") found.push(...pages(p));
    } else if (name === "index.html") found.push(p);
  }
  return found;
}

if (!existsSync(OUT)) {
  console.error("out/ is missing: run `next build` first");
  process.exit(2);
}
const rows = [];
const firstLoad = new Set();
for (const html of pages(OUT)) {
  const text = readFileSync(html, "utf8");
  const srcs = [...text.matchAll(/<script[^>]+src="([^"]+\.js)"/g)].map((m) => m[1]);
  const files = [...new Set(srcs)].map((s) => join(OUT, s.replace(/^\//, "")));
  files.forEach((f) => firstLoad.add(f));
  const bytes = files.reduce((n, f) => n + gz(f), 0);
  rows.push({ route: "/" + relative(OUT, html).replace(/index\.html$/, ""), kb: bytes / 1024, chunks: files.length });
}
rows.sort((a, b) => a.route.localeCompare(b.route));
console.log("route".padEnd(24), "first-load JS (gzip)", "chunks");
for (const r of rows) console.log(r.route.padEnd(24), `${r.kb.toFixed(1)} kB`.padStart(20), String(r.chunks).padStart(6));

const chunkDir = join(OUT, "_next/static/chunks");
const lazy = readdirSync(chunkDir)
  .filter((f) => f.endsWith(".js") && !firstLoad.has(join(chunkDir, f)))
  .map((f) => ({ f, kb: gz(join(chunkDir, f)) / 1024, text: readFileSync(join(chunkDir, f), "utf8") }))
  .filter((c) => c.kb > 10)
  .sort((a, b) => b.kb - a.kb);
console.log("\nlargest lazy chunks (loaded on demand):");
for (const c of lazy.slice(0, 6)) {
  const what = /attributionLogo/.test(c.text)
    ? "lightweight-charts"
    : /\$dynamicAnchor|strictSchema/.test(c.text)
      ? "ajv (runtime compile, only when the served schema differs)"
      : /"[0-9a-f]{64}"/.test(c.text)
        ? "StrategySpec validator (precompiled)"
        : "";
  console.log(`  ${c.f.padEnd(28)} ${c.kb.toFixed(1).padStart(7)} kB  ${what}`);
}
const dash = rows.find((r) => r.route === "/backtests/view/");
if (dash) {
  console.log(`\ndashboard (/backtests/view/) first-load JS: ${dash.kb.toFixed(1)} kB gzip (budget ${LIMIT_KB} kB)`);
  if (dash.kb > LIMIT_KB) process.exit(1);
}
