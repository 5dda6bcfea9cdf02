import { afterEach, describe, expect, it, vi } from "vitest";
import { api, ApiError, fieldErrors } from "@/lib/api/client";

afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = "vt_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
});

function respond(status: number, body: unknown, type = "application/json") {
  return new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers: { "content-type": type } });
}

describe("api client", () => {
  it("echoes the vt_csrf cookie on unsafe methods only, same-origin", async () => {
    document.cookie = "vt_csrf=tok123; path=/";
    const fetch = vi.fn(async () => respond(200, { ok: true }));
    vi.stubGlobal("fetch", fetch);
    await api("/strategies/1", { method: "PUT", body: { spec: {} } });
    await api("/users/me");
    const [url, put] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    const [, get] = fetch.mock.calls[1] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/strategies/1");
    expect(put.credentials).toBe("same-origin");
    expect(new Headers(put.headers).get("X-CSRF-Token")).toBe("tok123");
    expect(new Headers(get.headers).get("X-CSRF-Token")).toBeNull();
  });

  it("turns problem+json into an ApiError whose message is the detail, with field errors by path", async () => {
    vi.stubGlobal("fetch", async () =>
      respond(422, { type: "x", title: "Invalid request", status: 422, detail: "Fix the highlighted fields.", errors: [{ loc: ["body", "spec", "risk", "stop_loss"], msg: "must be > 0" }] }, "application/problem+json"),
    );
    const err = await api("/backtest/run", { method: "POST", body: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe("Fix the highlighted fields.");
    expect(fieldErrors(err)).toMatchObject({ "spec.risk.stop_loss": "Must be > 0", stop_loss: "Must be > 0" }); // shown under the field, as a sentence
  });

  it("maps FastAPI's plain {detail: [...]} and non-JSON failures to problems a person can act on", async () => {
    vi.stubGlobal("fetch", async () => respond(422, { detail: [{ loc: ["body", "email"], msg: "value is not a valid email address" }] }));
    const a = (await api("/auth/register", { method: "POST", body: {}, noRefresh: true }).catch((e: unknown) => e)) as ApiError;
    expect(a.problem.errors?.[0]).toEqual({ loc: ["body", "email"], msg: "value is not a valid email address" });
    vi.stubGlobal("fetch", async () => respond(503, "<html>busy</html>", "text/html"));
    const b = (await api("/users/me", { noRefresh: true }).catch((e: unknown) => e)) as ApiError;
    expect(b.status).toBe(503);
    expect(b.message).toMatch(/starting or unavailable/);
  });

  it("says the server is unreachable on a network error", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("Failed to fetch");
    });
    const e = (await api("/users/me").catch((x: unknown) => x)) as ApiError;
    expect(e.status).toBe(0);
    expect(e.message).toMatch(/Could not reach the VibeTrading server/);
  });

  it("refreshes once on 401 and retries", async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(respond(401, { title: "Unauthorized", status: 401 }))
      .mockResolvedValueOnce(respond(200, { access_token: "new", token_type: "bearer", expires_in: 900 }))
      .mockResolvedValueOnce(respond(200, { id: "u1" }));
    vi.stubGlobal("fetch", fetch);
    await expect(api("/users/me")).resolves.toEqual({ id: "u1" });
    expect(fetch.mock.calls.map((c) => c[0])).toEqual(["/api/v1/users/me", "/api/v1/auth/refresh", "/api/v1/users/me"]);
  });
});
