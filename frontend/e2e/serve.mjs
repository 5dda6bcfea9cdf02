#!/usr/bin/env node
// Serves the static export (out/) like the gateway does, optionally proxying /api to a gateway.
//   PORT=18090 [API_PROXY=http://127.0.0.1:18000] node e2e/serve.mjs
import http from "node:http";
import { createReadStream, existsSync, statSync } from "node:fs";
import { extname, join, normalize } from "node:path";

const ROOT = new URL("../out/", import.meta.url).pathname;
const PORT = Number(process.env.PORT ?? 18090);
const PROXY = process.env.API_PROXY ? new URL(process.env.API_PROXY) : null;
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".txt": "text/plain", ".woff2": "font/woff2", ".svg": "image/svg+xml", ".ico": "image/x-icon", ".png": "image/png" };

function send(res, file, status = 200) {
  res.writeHead(status, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", "Cache-Control": "no-cache" });
  createReadStream(file).pipe(res);
}

http
  .createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname.startsWith("/api/")) {
      if (!PROXY) {
        res.writeHead(503, { "Content-Type": "application/problem+json" });
        res.end(JSON.stringify({ type: "about:blank", title: "No API", status: 503, detail: "This static server has no API behind it." }));
        return;
      }
      const up = http.request(
        { host: PROXY.hostname, port: PROXY.port, path: req.url, method: req.method, headers: { ...req.headers, host: `${PROXY.hostname}:${PROXY.port}` } },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on("error", (e) => {
        res.writeHead(502, { "Content-Type": "application/problem+json" });
        res.end(JSON.stringify({ title: "Gateway unreachable", status: 502, detail: String(e) }));
      });
      req.pipe(up);
      return;
    }
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, "");
    let file = join(ROOT, rel);
    if (existsSync(file) && statSync(file).isDirectory()) {
      if (!url.pathname.endsWith("/")) {
        res.writeHead(308, { Location: `${url.pathname}/${url.search}` });
        res.end();
        return;
      }
      file = join(file, "index.html");
    }
    if (existsSync(file) && statSync(file).isFile()) return send(res, file);
    if (existsSync(`${file}.html`)) return send(res, `${file}.html`);
    send(res, join(ROOT, "404.html"), 404);
  })
  .listen(PORT, "127.0.0.1", () => console.log(`serving ${ROOT} on http://127.0.0.1:${PORT}${PROXY ? ` (api -> ${PROXY.href})` : ""}`));
