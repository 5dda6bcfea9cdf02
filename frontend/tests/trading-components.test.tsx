import * as React from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { DeployDialog, ACK_PHRASE, type DeployContext } from "@/components/trading/deploy-dialog";
import { KillSwitch } from "@/components/trading/kill-switch";
import { BreakerMeters } from "@/components/trading/risk-meters";
import { EnvBadge, EnvFrame } from "@/components/trading/env";
import { OrderTimeline, buildTrails } from "@/components/trading/order-timeline";
import { ExceptionsInbox } from "@/components/trading/exceptions-inbox";
import { DeploymentCard } from "@/components/trading/deployment-card";
import { deployment, exception, fill, liveAccount, order, paperAccount, risk, target } from "./trading-fixtures";

const push = vi.fn();
vi.mock("next/navigation", () => ({ useRouter: () => ({ push, replace: vi.fn() }), usePathname: () => "/trading/", useSearchParams: () => new URLSearchParams() }));
vi.mock("next/link", () => ({ default: ({ href, children, ...p }: { href: string; children: React.ReactNode }) => <a href={href} {...p}>{children}</a> }));
vi.mock("@/lib/toast", () => ({ toast: { success: vi.fn(), error: vi.fn(), info: vi.fn(), message: vi.fn() } }));

type Handler = (url: string, init: RequestInit) => unknown;
let routes: [RegExp, string, Handler][] = [];
const calls: { method: string; url: string; body: unknown }[] = [];
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": status >= 400 ? "application/problem+json" : "application/json" } });

beforeEach(() => {
  routes = [];
  calls.length = 0;
  push.mockReset();
  vi.stubGlobal("fetch", async (url: string, init: RequestInit = {}) => {
    const method = (init.method ?? "GET").toUpperCase();
    calls.push({ method, url, body: init.body ? JSON.parse(String(init.body)) : undefined });
    for (const [re, m, h] of routes) if (m === method && re.test(url)) {
      const out = h(url, init);
      return out instanceof Response ? out : json(200, out);
    }
    return json(404, { title: "Not found", status: 404, detail: `no fixture for ${method} ${url}` });
  });
});
afterEach(() => vi.unstubAllGlobals());

const on = (method: string, re: RegExp, h: Handler) => routes.push([re, method, h]);
function wrap(ui: React.ReactElement) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return render(<QueryClientProvider client={qc}>{ui}</QueryClientProvider>);
}

const failingGates: DeployContext["gates"] = [
  { name: "min_trades", description: "At least 30 trades", threshold: 30, value: 20, passed: false },
  { name: "sharpe_ratio", description: "Sharpe above 1", threshold: 1, value: 1.28, passed: true },
];
const ctx = (gates = failingGates): DeployContext => ({ strategyId: "s1", strategyName: "SMA cross", version: 1, backtestId: "run-1", gates, gateProfile: "strict", initialCapital: 10000, start: "2005-01-03T05:00:00Z", end: "2012-12-31T05:00:00Z" });

describe("DeployDialog", () => {
  it("shows the server's gates, needs the typed acknowledgement for paper when a gate fails, blocks live, and posts the deployment", async () => {
    const user = userEvent.setup();
    on("GET", /\/trading\/accounts/, () => ({ items: [paperAccount, liveAccount], next_cursor: null }));
    on("POST", /\/deployments$/, () => json(201, deployment({ id: "new-dep" })));
    wrap(<DeployDialog open onOpenChange={() => {}} ctx={ctx()} />);
    const dlg = await screen.findByTestId("deploy-dialog");
    expect(within(dlg).getAllByTestId("gate")).toHaveLength(2);
    expect(within(dlg).getByTestId("gates-summary")).toHaveTextContent("1/2 passed");
    expect(within(dlg).getByTestId("mode-live")).toBeDisabled();
    expect(within(dlg).getByTestId("live-blocked")).toBeInTheDocument();
    await waitFor(() => expect(within(dlg).getByTestId("account-picker")).toHaveValue("acc-paper"));
    const submit = within(dlg).getByTestId("deploy-submit");
    expect(submit).toBeDisabled();
    await user.type(within(dlg).getByLabelText(/type deploy anyway/i), "deploy anyway, please");
    expect(submit).toBeDisabled();
    await user.clear(within(dlg).getByLabelText(/type deploy anyway/i));
    await user.type(within(dlg).getByLabelText(/type deploy anyway/i), ACK_PHRASE);
    await user.click(within(dlg).getByTestId("review-manual"));
    await user.click(within(dlg).getByLabelText(/^Dry run/));
    expect(submit).toBeEnabled();
    await user.click(submit);
    await waitFor(() => expect(push).toHaveBeenCalledWith("/trading/deployment/?id=new-dep"));
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.url).toBe("/api/v1/deployments");
    expect(post.body).toMatchObject({ strategy_id: "s1", version: 1, backtest_id: "run-1", mode: "paper", capital: "10000", account_id: "acc-paper", acknowledge_failed_gates: true, review_mode: "manual", dry_run: true, replay: { start: "2005-01-03", end: "2012-12-31" } });
  });

  it("allows live when every gate passes and a live account exists; live is marked unmistakably", async () => {
    const user = userEvent.setup();
    on("GET", /\/trading\/accounts/, () => ({ items: [paperAccount, liveAccount], next_cursor: null }));
    wrap(<DeployDialog open onOpenChange={() => {}} ctx={ctx(failingGates.map((g) => ({ ...g, passed: true })))} />);
    const dlg = await screen.findByTestId("deploy-dialog");
    await waitFor(() => expect(within(dlg).getByTestId("mode-live")).toBeEnabled());
    expect(within(dlg).queryByTestId("gate-ack")).toBeNull();
    await user.click(within(dlg).getByTestId("mode-live"));
    expect(within(dlg).getByTestId("live-warning")).toHaveTextContent("LIVE");
    expect(within(dlg).getAllByTestId("env-badge")[0]).toHaveAttribute("data-env", "live");
    expect(within(dlg).getByTestId("deploy-submit")).toHaveTextContent("Go LIVE");
    expect(within(dlg).queryByText(/Replay period/)).toBeNull();
  });

  it("creates a paper account inline when there is none, and shows a refusal's problem detail", async () => {
    const user = userEvent.setup();
    let accounts = [] as (typeof paperAccount)[];
    on("GET", /\/trading\/accounts/, () => ({ items: accounts, next_cursor: null }));
    on("POST", /\/trading\/accounts$/, () => ((accounts = [paperAccount]), paperAccount));
    on("POST", /\/deployments$/, () => json(422, { title: "Invalid input", status: 422, detail: "not eligible: gates of the 'strict' profile fail: min_trades" }));
    wrap(<DeployDialog open onOpenChange={() => {}} ctx={ctx()} />);
    const dlg = await screen.findByTestId("deploy-dialog");
    await user.click(await within(dlg).findByTestId("create-account"));
    await waitFor(() => expect(within(dlg).getByTestId("account-picker")).toHaveValue("acc-paper"));
    expect(calls.find((c) => c.method === "POST" && c.url.endsWith("/trading/accounts"))?.body).toMatchObject({ environment: "paper", venue: "paper", name: "Paper" });
    await user.type(within(dlg).getByLabelText(/type deploy anyway/i), ACK_PHRASE);
    await user.click(within(dlg).getByTestId("deploy-submit"));
    expect(await within(dlg).findByRole("alert")).toHaveTextContent("min_trades");
    expect(push).not.toHaveBeenCalled();
  });
});

describe("KillSwitch", () => {
  it("kills after a confirmation with a reason, then shows KILLED with the flatten's progress and re-arms with a reason", async () => {
    const user = userEvent.setup();
    let state = risk();
    let positions = [{ account_id: "acc-paper", attributed: true, deployment_id: "d1", symbol: "SAMPLE:AAPL", qty: "100", avg_price: "1", last_price: "1", market_value: "100", multiplier: "1", realized_pnl: "0", unrealized_pnl: "0" }];
    on("GET", /\/trading\/risk/, () => state);
    on("GET", /\/trading\/positions/, () => positions);
    on("POST", /\/trading\/kill/, () => ((state = risk({ state: "killed", reason: "test" })), { account_id: "acc-paper", state: "killed", flatten_orders: ["pabc-1-0", "pabc-1-1"] }));
    on("POST", /\/trading\/rearm/, () => ((state = risk()), state));
    wrap(<KillSwitch account={paperAccount} poll={50} />);
    const bar = await screen.findByTestId("kill-switch");
    await waitFor(() => expect(bar).toHaveAttribute("data-state", "active"));
    await user.click(screen.getByTestId("kill-button"));
    const dlg = await screen.findByTestId("kill-dialog");
    expect(within(dlg).getByTestId("kill-dialog-confirm")).toBeDisabled();
    await user.type(within(dlg).getByLabelText(/Reason/), "flash crash");
    await user.click(within(dlg).getByTestId("kill-dialog-confirm"));
    await waitFor(() => expect(bar).toHaveAttribute("data-state", "killed"));
    expect(calls.find((c) => c.url.endsWith("/trading/kill"))?.body).toEqual({ reason: "flash crash", account_id: "acc-paper" });
    expect(await screen.findByTestId("flatten-progress")).toHaveTextContent("1 attributed position still open");
    expect(screen.getByRole("progressbar", { name: "Flatten progress" })).toHaveAttribute("aria-valuenow", "50");
    positions = [{ ...positions[0], qty: "0" }];
    await waitFor(() => expect(screen.getByTestId("flatten-progress")).toHaveTextContent("Flatten complete"), { timeout: 3000 });
    await user.click(screen.getByTestId("rearm-button"));
    const re = await screen.findByTestId("rearm-dialog");
    await user.type(within(re).getByLabelText(/Reason/), "positions checked");
    await user.click(within(re).getByTestId("rearm-dialog-confirm"));
    await waitFor(() => expect(bar).toHaveAttribute("data-state", "active"));
    expect(calls.find((c) => c.url.endsWith("/trading/rearm"))?.body).toEqual({ reason: "positions checked", account_id: "acc-paper" });
  });
});

describe("trading display", () => {
  it("labels live unmistakably and paper plainly", () => {
    render(
      <>
        <EnvBadge env="live" />
        <EnvBadge env="paper" />
        <EnvFrame env="live">inside</EnvFrame>
      </>,
    );
    const [live, paper] = screen.getAllByTestId("env-badge");
    expect(live).toHaveTextContent("LIVE");
    expect(paper).toHaveTextContent(/paper/i);
    expect(screen.getByRole("note")).toHaveTextContent("LIVE TRADING");
  });

  it("draws each breaker as a meter towards its threshold, tripped ones said in words", () => {
    render(<BreakerMeters risk={risk()} />);
    const daily = screen.getByRole("meter", { name: "Daily loss breaker" });
    expect(daily).toHaveAttribute("aria-valuenow", "1.5");
    expect(daily).toHaveAttribute("aria-valuemax", "3");
    expect(daily.getAttribute("aria-valuetext")).toMatch(/1.50 pts to the threshold/);
    expect(screen.getByRole("meter", { name: "Drawdown breaker" }).getAttribute("aria-valuetext")).toMatch(/tripped/);
    expect(screen.getByText("TRIPPED")).toBeInTheDocument();
  });

  it("shows a deployment card with environment, status, risk, P&L, last signal and replay progress", () => {
    render(<DeploymentCard d={deployment({ environment: "live", risk_state: "halted" })} name="SMA cross" last={target(2)} />);
    const card = screen.getByTestId("deployment-card");
    expect(card).toHaveAttribute("data-env", "live");
    expect(card).toHaveTextContent("LIVE — REAL MONEY");
    expect(screen.getByTestId("risk-state")).toHaveTextContent("risk halted");
    expect(screen.getByTestId("last-signal")).toHaveTextContent("entry · bar 2005-01-04");
    expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "4");
  });

  it("expands an order into its audit trail, keyboard first", async () => {
    const user = userEvent.setup();
    render(<OrderTimeline trails={buildTrails([order(), order({ id: "o9", client_order_id: "p4fc09b666bcd4733-3-1", state: "cancelled", filled_qty: "0", created_at: "2026-12-05T12:07:00Z" })], [target(1), target(2)], [fill()])} />);
    expect(screen.getAllByTestId("order-row")).toHaveLength(1); // the cancelled stop without fills is hidden by default
    await user.click(screen.getByTestId("hide-cancelled"));
    expect(screen.getAllByTestId("order-row")).toHaveLength(2);
    const summary = screen.getAllByTestId("order-row")[1].querySelector("summary")!;
    summary.focus();
    await user.keyboard("{Enter}");
    const trail = screen.getAllByTestId("audit-trail")[1];
    expect(trail).toHaveTextContent("SAMPLE:AAPL: entry");
    expect(trail).toHaveTextContent("target 100");
    expect(trail).toHaveTextContent("clip");
    expect(trail).toHaveTextContent("paper-exec-1");
  });

  it("acknowledges and resolves exceptions with a reason", async () => {
    const user = userEvent.setup();
    on("POST", /\/exceptions\/e1\/acknowledge/, () => exception({ status: "acknowledged" }));
    on("POST", /\/exceptions\/e2\/resolve/, () => exception({ id: "e2", status: "resolved" }));
    wrap(<ExceptionsInbox items={[exception(), exception({ id: "e2", status: "acknowledged", severity: "warning" }), exception({ id: "e3", status: "resolved" })]} />);
    expect(screen.getAllByTestId("exception-row")).toHaveLength(2);
    await user.click(screen.getByRole("button", { name: "All" }));
    expect(screen.getAllByTestId("exception-row")).toHaveLength(3);
    await user.click(screen.getAllByTestId("acknowledge-exception")[0]);
    await user.type(within(await screen.findByTestId("exception-dialog")).getByLabelText(/Reason/), "looking into it");
    await user.click(screen.getByTestId("exception-dialog-confirm"));
    await waitFor(() => expect(calls.find((c) => c.url.includes("/acknowledge"))?.body).toEqual({ reason: "looking into it" }));
    await waitFor(() => expect(screen.queryByTestId("exception-dialog")).toBeNull());
    await user.click(screen.getAllByTestId("resolve-exception")[1]);
    await user.type(within(await screen.findByTestId("exception-dialog")).getByLabelText(/Reason/), "recorded the manual trade");
    await user.click(screen.getByTestId("exception-dialog-confirm"));
    await waitFor(() => expect(calls.find((c) => c.url.includes("/e2/resolve"))?.body).toEqual({ reason: "recorded the manual trade" }));
  });
});
