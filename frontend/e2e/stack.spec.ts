import { existsSync, readFileSync } from "node:fs";
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { axe, chartsDrawn, shot, SHOTS, VIEWPORTS } from "./helpers";
import { STATE_FILE, type StackState } from "./global-setup";

/**
 * The real platform (`uv run vt-dev up`, started by global-setup.ts): every step is its own test
 * in one serial chain sharing a signed-in page, so the report says exactly how far it got.
 */
const state: StackState = existsSync(STATE_FILE) ? JSON.parse(readFileSync(STATE_FILE, "utf8")) : { ok: false, error: "global setup did not run", log: "" };
const PROMPT = "Buy SAMPLE:AAPL when the 20-day SMA crosses above the 50-day SMA, sell when it crosses below, 5% stop loss, from 2005 to 2012";
const BACKTEST_TIMEOUT = 300_000; // the first run in a fresh engine process compiles numba (~40 s), CI is slower

test.describe.configure({ mode: "serial" });

let context: BrowserContext;
let page: Page;
const runIds: string[] = [];

test.beforeAll(async ({ browser }: { browser: Browser }) => {
  expect(state.ok, `the stack did not start: ${state.error ?? "unknown"} (log: ${state.log})`).toBe(true);
  context = await browser.newContext({ baseURL: state.baseURL, viewport: VIEWPORTS.desktop, acceptDownloads: true });
  page = await context.newPage();
});

test.afterAll(async () => {
  await context?.close();
});

test("1. sign up and land in the chat", async ({}, testInfo) => {
  const email = `e2e-${Date.now()}@example.com`;
  await page.goto("/register/");
  await shot(page, "stack-register-light-desktop");
  await axe(page, "stack-register-light-desktop", testInfo);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/chat\/$/, { timeout: 30_000 });
  await expect(page.getByRole("heading", { name: "Chat a strategy" })).toBeVisible();
});

test("2. chat a strategy on a sample symbol and see its card", async ({}, testInfo) => {
  await page.getByLabel("Describe your strategy").fill(PROMPT);
  await page.getByRole("button", { name: "Send" }).click();
  const card = page.getByTestId("strategy-card");
  await expect(card).toBeVisible({ timeout: 90_000 });
  await expect(card).toContainText("SAMPLE:AAPL");
  await card.getByRole("tab", { name: "Spec" }).click();
  await expect(card.getByLabel("StrategySpec JSON", { exact: true })).toContainText('"universe"');
  await card.getByRole("tab", { name: "Explanation" }).click();
  await shot(page, "stack-chat-light-desktop", { viewportAtBottom: true });
  await axe(page, "stack-chat-light-desktop", testInfo);
});

async function waitForRun(name: string) {
  await expect(page).toHaveURL(/\/backtests\/view\/\?id=/, { timeout: 30_000 });
  runIds.push(new URL(page.url()).searchParams.get("id")!);
  await expect(page.getByTestId("run-status")).toHaveText(/succeeded|failed/, { timeout: BACKTEST_TIMEOUT });
  const status = await page.getByTestId("run-status").textContent();
  if (status !== "succeeded") {
    await shot(page, `${name}-failed`);
    throw new Error(`backtest ${status}: ${await page.getByRole("alert").first().textContent().catch(() => "")}`);
  }
  await expect(page.getByTestId("dashboard")).toBeVisible();
  await chartsDrawn(page, 2);
}

test("3. run the backtest with live progress", async () => {
  await page.getByTestId("strategy-card").getByRole("button", { name: "Run backtest" }).click();
  await waitForRun("stack-dashboard");
});

test("4. the dashboard shows equity, markers and trades", async ({}, testInfo) => {
  await expect(page.getByTestId("headline-metrics")).toBeVisible();
  await expect(page.getByTestId("price-chart")).toBeVisible({ timeout: 30_000 });
  await chartsDrawn(page, 3);
  const trades = await page.getByTestId("trade-row").count();
  expect(trades).toBeGreaterThan(0);
  await expect(page.getByTestId("marker-legend")).toContainText("Long entry");
  await expect(page.getByTestId("monthly-returns")).toBeVisible();
  expect(await page.getByTestId("monthly-row").count()).toBeGreaterThanOrEqual(7); // 2005..2012
  expect(await page.getByTestId("drawdown-row").count()).toBeGreaterThan(0);
  await shot(page, "stack-dashboard-light-desktop");
  await axe(page, "stack-dashboard-light-desktop", testInfo);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-trades").click()]);
  expect(download.suggestedFilename()).toMatch(/_trades\.csv$/);
});

test("5. edit the strategy (3% stop) and re-run", async ({}, testInfo) => {
  await page.getByRole("link", { name: "Edit strategy" }).click();
  await expect(page.getByTestId("spec-status")).toHaveText("Valid StrategySpec", { timeout: 30_000 });
  const ta = page.getByLabel("StrategySpec JSON");
  const spec = JSON.parse(await ta.inputValue());
  // a field error first: the editor must point at it
  const bad = structuredClone(spec);
  bad.universe.symbols = [];
  await ta.fill(JSON.stringify(bad, null, 2));
  await expect(page.getByTestId("spec-issue").first()).toContainText("universe.symbols");
  await shot(page, "stack-editor-light-desktop");
  await axe(page, "stack-editor-light-desktop", testInfo);
  spec.risk = { ...(spec.risk ?? {}), stop_loss: { kind: "percent", percent: 3 } };
  await ta.fill(JSON.stringify(spec, null, 2));
  await expect(page.getByTestId("spec-status")).toHaveText("Valid StrategySpec");
  await page.getByTestId("save-and-run").click();
  await waitForRun("stack-dashboard-2");
});

test("5b. the backtests list shows return, Sharpe, drawdown and trades of finished runs", async ({}, testInfo) => {
  await page.goto("/backtests/");
  await expect(page.getByTestId("backtest-row")).toHaveCount(2);
  for (const row of await page.getByTestId("backtest-row").all()) {
    await expect(row.getByTestId("run-trades")).toHaveText(/^\d+$/); // was "—": the page read a field the list does not send
    const cells = await row.getByRole("cell").allTextContents();
    expect(cells.filter((c) => /^[+-]?\d+\.\d+%$/.test(c.trim())).length, cells.join(" | ")).toBeGreaterThanOrEqual(2);
  }
  await shot(page, "stack-backtests-light-desktop");
  await axe(page, "stack-backtests-light-desktop", testInfo);
});

test("6. compare the two runs", async ({}, testInfo) => {
  expect(runIds.length).toBe(2);
  await page.goto("/backtests/");
  for (const id of runIds) await page.getByRole("checkbox", { name: new RegExp(`Select run ${id.slice(0, 8)}`) }).check();
  await page.getByTestId("compare-button").click();
  await expect(page.getByTestId("compare-table")).toContainText("Sharpe");
  await chartsDrawn(page, 1);
  await shot(page, "stack-compare-light-desktop");
  await axe(page, "stack-compare-light-desktop", testInfo);
});

test("6b. walk-forward from the results page: the out-of-sample gate evaluates", async ({}, testInfo) => {
  await page.goto(`/backtests/view/?id=${runIds[1]}`);
  await expect(page.getByTestId("dashboard")).toBeVisible({ timeout: 30_000 });
  const oos = () => page.getByTestId("gate").filter({ hasText: "Out of sample" });
  await expect(oos()).toContainText("No walk-forward ran");
  await page.getByTestId("open-walk-forward").click();
  const form = page.getByTestId("walk-forward-form");
  await expect(form).toBeVisible();
  await expect(page.getByTestId("walk-forward-estimate")).toContainText(/combinations per window × \d+ windows/);
  await shot(page, "stack-walk-forward-form-light-desktop");
  await axe(page, "stack-walk-forward-form-light-desktop", testInfo);
  await form.getByTestId("walk-forward-run").click();
  // the new run's page, not the one we started from (both match /backtests/view/?id=)
  await page.waitForURL((u) => u.searchParams.get("id") !== runIds[1], { timeout: 30_000 });
  await waitForRun("stack-walk-forward");
  await expect(page.getByTestId("walk-forward-report")).toBeVisible();
  expect(await page.getByTestId("wf-window").count()).toBeGreaterThan(3);
  await expect(oos()).not.toContainText("No walk-forward ran");
  await expect(oos()).toContainText("Stitched walk-forward out-of-sample return");
  await page.getByTestId("walk-forward-report").scrollIntoViewIfNeeded();
  await shot(page, "stack-walk-forward-report-light-desktop");
  await axe(page, "stack-walk-forward-report-light-desktop", testInfo);
});

test("7. strategy history shows both versions with a diff", async ({}, testInfo) => {
  await page.goto("/strategies/");
  await page.getByTestId("strategy-list").getByRole("link").first().click();
  await expect(page.getByTestId("version-diff")).toContainText("stop_loss", { timeout: 15_000 });
  await shot(page, "stack-strategy-light-desktop");
  await axe(page, "stack-strategy-light-desktop", testInfo);
});

test("7b. a 390 px phone: no page is wider than the screen; trades keep return, P&L and exit reason", async ({}, testInfo) => {
  await page.setViewportSize(VIEWPORTS.phone);
  try {
    const urls = ["/backtests/", `/backtests/view/?id=${runIds[0]}`, `/backtests/compare/?ids=${runIds[0]},${runIds[1]}`, "/strategies/", "/market/?symbol=SAMPLE:AAPL", "/chat/"];
    for (const u of urls) {
      await page.goto(u);
      await page.waitForLoadState("networkidle");
      await page.waitForTimeout(500);
      const { sw, w } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, w: window.innerWidth }));
      expect(sw, `${u} is ${sw}px wide on a ${w}px screen`).toBeLessThanOrEqual(w);
    }
    await page.goto(`/backtests/view/?id=${runIds[0]}`);
    await expect(page.getByTestId("trade-log")).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId("trade-columns-hint")).toBeVisible();
    for (const name of [/^Return/, /^P&L/, /^Exit reason/]) {
      const box = await page.getByTestId("trade-log").getByRole("button", { name }).boundingBox();
      expect(box && box.x + box.width <= 391, `${name} on screen`).toBe(true);
    }
    await page.getByTestId("trade-log").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/stack-trades-light-phone.png` });
    await page.goto(`/backtests/compare/?ids=${runIds[0]},${runIds[1]}`);
    await chartsDrawn(page, 1);
    await shot(page, "stack-compare-light-phone");
    await axe(page, "stack-compare-light-phone", testInfo);
  } finally {
    await page.setViewportSize(VIEWPORTS.desktop);
  }
});

let deploymentUrl = "";

test("7c. deploy the README strategy to paper from its dashboard (gates as the server evaluated them)", async ({}, testInfo) => {
  await page.goto(`/backtests/view/?id=${runIds[0]}`);
  await expect(page.getByTestId("dashboard")).toBeVisible({ timeout: 60_000 });
  await page.getByTestId("deploy-paper").click();
  const dlg = page.getByTestId("deploy-dialog");
  await expect(dlg.getByTestId("gate").first()).toBeVisible();
  if (await dlg.getByTestId("gate-ack").isVisible()) {
    await expect(dlg.getByTestId("mode-live")).toBeDisabled(); // a failing gate blocks live
    await expect(dlg.getByTestId("deploy-submit")).toBeDisabled();
    await dlg.getByLabel(/type deploy anyway/i).fill("deploy anyway");
  }
  await dlg.getByLabel("Bars per second").fill("200");
  await page.screenshot({ path: `${SHOTS}/stack-deploy-dialog-light-desktop.png` });
  await axe(page, "stack-deploy-dialog-light-desktop", testInfo);
  await dlg.getByTestId("deploy-submit").click();
  await expect(page).toHaveURL(/\/trading\/deployment\/\?id=/, { timeout: 30_000 });
  deploymentUrl = new URL(page.url()).pathname + new URL(page.url()).search;
});

test("7d. the trading home lists it, paper-badged, with status, risk state and replay progress", async ({}, testInfo) => {
  await page.goto("/trading/");
  const card = page.getByTestId("deployment-card").first();
  await expect(card).toHaveAttribute("data-env", "paper");
  await expect(card.getByTestId("env-badge")).toHaveText(/paper/i);
  await expect(card.getByTestId("deployment-status")).toHaveText(/pending|running/);
  await expect(card.getByTestId("replay-progress")).toBeVisible();
  await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "live", { timeout: 20_000 });
  await shot(page, "stack-trading-home-light-desktop");
  await axe(page, "stack-trading-home-light-desktop", testInfo);
});

test("7e. the deployment page shows fills arriving live (WebSocket), equity and breakers", async ({}, testInfo) => {
  await page.goto(deploymentUrl);
  await expect(page.getByTestId("deployment-header")).toBeVisible();
  await expect(page.getByText(/\d+ orders, [1-9]\d* fills/)).toBeVisible({ timeout: 240_000 });
  await expect(page.getByTestId("breaker").first()).toBeVisible();
  await chartsDrawn(page, 1);
  const row = page.getByTestId("order-row").filter({ hasText: "filled" }).first();
  await row.locator("summary").click();
  await expect(row.getByTestId("trail-fill").first()).toBeVisible();
  await shot(page, "stack-trading-deployment-light-desktop");
  await axe(page, "stack-trading-deployment-light-desktop", testInfo);
  await page.setViewportSize(VIEWPORTS.phone);
  try {
    const [sw, w] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(sw).toBeLessThanOrEqual(w);
    await shot(page, "stack-trading-deployment-light-phone");
  } finally {
    await page.setViewportSize(VIEWPORTS.desktop);
  }
});

test("7f. kill switch: confirm with a reason → killed, flatten shown; still killed after a reload; re-arm", async ({}, testInfo) => {
  const bar = page.getByTestId("kill-switch").first();
  await expect(bar).toHaveAttribute("data-state", "active");
  await bar.getByTestId("kill-button").click();
  await page.getByTestId("kill-dialog").getByLabel(/Reason/).fill("e2e: stop everything");
  await page.getByTestId("kill-dialog-confirm").click();
  await expect(bar).toHaveAttribute("data-state", "killed", { timeout: 30_000 });
  await expect(bar.getByTestId("flatten-progress")).toContainText("Flatten complete", { timeout: 60_000 });
  await page.reload();
  await expect(page.getByTestId("kill-switch").first()).toHaveAttribute("data-state", "killed", { timeout: 30_000 });
  await expect(page.getByTestId("breakers")).toContainText(/killed/i);
  await shot(page, "stack-trading-killed-light-desktop");
  await axe(page, "stack-trading-killed-light-desktop", testInfo);
  await page.goto("/trading/account/");
  await expect(page.getByTestId("kill-switch").first()).toHaveAttribute("data-state", "killed");
  await expect(page.getByTestId("audit-verified")).toHaveText("hash chain verified");
  await page.getByTestId("rearm-button").first().click();
  await page.getByTestId("rearm-dialog").getByLabel(/Reason/).fill("e2e: positions flat, checked");
  await page.getByTestId("rearm-dialog-confirm").click();
  await expect(page.getByTestId("kill-switch").first()).toHaveAttribute("data-state", "active", { timeout: 30_000 });
});

test("8. market view and sign out", async ({}, testInfo) => {
  await page.goto("/market/?symbol=SAMPLE:AAPL");
  await chartsDrawn(page, 1);
  // research may still be warming its market-data circuit breaker: retry like a person would
  for (let i = 0; i < 6 && !(await page.getByTestId("insight").isVisible()); i++) {
    const retry = page.getByRole("button", { name: "Try again" });
    if (await retry.isVisible()) await retry.click();
    await page.waitForTimeout(5_000);
  }
  await expect(page.getByTestId("insight")).toBeVisible({ timeout: 30_000 });
  // the risk flag looks at events as of the data's last bar (the sample ends in 2013), and the
  // "how computed" box names the calendar file, not its path on the server
  const how = page.getByTestId("insight-derivations");
  await how.getByText("How these were computed").click();
  await expect(how).toContainText(/events_as_of=2013-\d\d-\d\d/); // the sample ends in 2013
  await expect(how).toContainText("calendar=econ_calendar.yaml");
  await expect(how).not.toContainText("/market-research-service/");
  await shot(page, "stack-market-light-desktop");
  await axe(page, "stack-market-light-desktop", testInfo);
  await page.getByTestId("account-menu").click();
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/login\/$/);
});

test("9. human messages: a wrong password, an unknown page, the favicon", async ({}, testInfo) => {
  await page.goto("/login/");
  await page.getByLabel("Email").fill("nobody-here@example.com");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  const alert = page.locator("main").getByRole("alert");
  await expect(alert).toContainText("Wrong email or password");
  await expect(alert).not.toContainText("Authentication required");
  await shot(page, "stack-login-wrong-password-light-desktop");
  await axe(page, "stack-login-wrong-password-light-desktop", testInfo);
  const res = await page.goto("/no/such/page/");
  expect(res?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "This page does not exist" })).toBeVisible();
  await shot(page, "stack-404-light-desktop");
  await axe(page, "stack-404-light-desktop", testInfo);
  const href = await page.locator('link[rel="icon"]').first().getAttribute("href");
  expect((await page.request.get(href!)).status()).toBe(200);
});
