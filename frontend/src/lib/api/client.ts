import type { Problem } from "@/lib/api/types";
import { readSSE, type SSEMessage } from "@/lib/sse";
import { humanText } from "@/lib/human-errors";

export const API_BASE = "/api/v1";

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = "ApiError";
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
}

let accessToken: string | null = null;
export function setAccessToken(token: string | null): void {
  accessToken = token;
}

export function readCookie(name: string): string | null {
  if (typeof document === "undefined") return null;
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return null;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function headersFor(method: string, extra?: HeadersInit, json = true): Headers {
  const h = new Headers(extra);
  if (json && !h.has("Content-Type")) h.set("Content-Type", "application/json");
  if (!h.has("Accept")) h.set("Accept", "application/json, application/problem+json");
  if (UNSAFE.has(method)) {
    const csrf = readCookie("vt_csrf");
    if (csrf) h.set("X-CSRF-Token", csrf);
  }
  if (accessToken && !h.has("Authorization")) h.set("Authorization", `Bearer ${accessToken}`);
  return h;
}

/** Turns any failed response into a Problem with a `detail` a person can act on. */
export async function problemFrom(res: Response): Promise<Problem> {
  const ct = res.headers.get("content-type") ?? "";
  let body: unknown = null;
  try {
    body = ct.includes("json") ? await res.json() : await res.text();
  } catch {
    body = null;
  }
  if (body && typeof body === "object" && "title" in body) {
    const p = body as Problem;
    return { ...p, status: p.status ?? res.status };
  }
  if (body && typeof body === "object" && "detail" in body) {
    // FastAPI's default {"detail": ...} shape.
    const d = (body as { detail: unknown }).detail;
    if (Array.isArray(d)) {
      return {
        title: "Invalid request",
        status: res.status,
        detail: "Some fields are invalid; see the messages next to them.",
        errors: d.map((e: { loc?: (string | number)[]; msg?: string }) => ({ loc: e.loc ?? [], msg: e.msg ?? "invalid" })),
      };
    }
    return { title: res.statusText || "Request failed", status: res.status, detail: String(d) };
  }
  const fallback: Record<number, string> = {
    401: "You are signed out. Sign in again to continue.",
    403: "You are not allowed to do that.",
    404: "Not found: it may have been deleted, or the link is wrong.",
    429: "Too many requests. Wait a moment and try again.",
    502: "A backend service failed to answer. Try again in a moment.",
    503: "The service is starting or unavailable. Try again in a moment.",
    504: "A backend service took too long to answer. Try again.",
  };
  return {
    title: res.statusText || `HTTP ${res.status}`,
    status: res.status,
    detail: fallback[res.status] ?? (typeof body === "string" && body && body.length < 300 ? body : `The server answered ${res.status}.`),
  };
}

let refreshing: Promise<boolean> | null = null;
async function tryRefresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const res = await fetch(`${API_BASE}/auth/refresh`, {
        method: "POST",
        credentials: "same-origin",
        headers: headersFor("POST"),
      });
      if (!res.ok) return false;
      const body = (await res.json().catch(() => null)) as { access_token?: string } | null;
      if (body?.access_token) setAccessToken(body.access_token);
      return true;
    } catch {
      return false;
    } finally {
      setTimeout(() => (refreshing = null), 0);
    }
  })();
  return refreshing;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  headers?: HeadersInit;
  /** Do not try /auth/refresh on 401 (auth routes themselves). */
  noRefresh?: boolean;
}

export async function rawRequest(path: string, opts: RequestOptions = {}): Promise<Response> {
  const method = (opts.method ?? (opts.body !== undefined ? "POST" : "GET")).toUpperCase();
  const isForm = typeof FormData !== "undefined" && opts.body instanceof FormData;
  const init = (): RequestInit => ({
    method,
    credentials: "same-origin",
    signal: opts.signal,
    headers: headersFor(method, opts.headers, !isForm && opts.body !== undefined),
    body: opts.body === undefined ? undefined : isForm ? (opts.body as FormData) : JSON.stringify(opts.body),
  });
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, init());
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError({
      title: "Network error",
      status: 0,
      detail: "Could not reach the VibeTrading server. Check that it is running and your connection, then try again.",
    });
  }
  if (res.status === 401 && !opts.noRefresh && (await tryRefresh())) {
    res = await fetch(`${API_BASE}${path}`, init());
  }
  return res;
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await rawRequest(path, opts);
  if (!res.ok) {
    const problem = await problemFrom(res);
    if (res.status === 401 && typeof window !== "undefined") window.dispatchEvent(new CustomEvent("vt:unauthorized"));
    throw new ApiError(problem);
  }
  if (res.status === 204) return undefined as T;
  const ct = res.headers.get("content-type") ?? "";
  return (ct.includes("json") ? await res.json() : await res.text()) as T;
}

/** POST that streams server-sent events back (chat). Falls back to one JSON body if the server does not stream. */
export async function* streamRequest(
  path: string,
  body: unknown,
  signal?: AbortSignal,
): AsyncGenerator<SSEMessage> {
  const res = await rawRequest(path, { method: "POST", body, signal, headers: { Accept: "text/event-stream" } });
  if (!res.ok) throw new ApiError(await problemFrom(res));
  const ct = res.headers.get("content-type") ?? "";
  if (!ct.includes("text/event-stream") || !res.body) {
    const json = await res.json();
    yield { event: "result", data: JSON.stringify(json) };
    return;
  }
  yield* readSSE(res.body, signal);
}

export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (err instanceof ApiError && err.problem.errors) {
    for (const e of err.problem.errors) {
      const loc = e.loc.filter((p) => p !== "body" && p !== "query");
      const msg = humanText(e.msg);
      out[loc.join(".")] = msg;
      const last = loc[loc.length - 1];
      if (last !== undefined && !(String(last) in out)) out[String(last)] = msg;
    }
  }
  return out;
}
