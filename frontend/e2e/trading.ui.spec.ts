import { expect, test, type Page, type WebSocketRoute } from "@playwright/test";
import { axe, chartsDrawn, shot } from "./helpers";
import { mockApi, RUN_A } from "./mock-api";
import { LIVE_DEP, PAPER_DEP, tradingState, type TradingState } from "./mock-trading";

/**
 * Issue 15, trading in the browser, against fixtures: every trading screen at 1440 and 390 px in
 * light and dark (screenshots, axe, no sideways scrolling), deploy from a result, the kill switch,
 * manual review, exceptions and a live update over the (mocked) per-user WebSocket.
 */
const VP = { desktop: { width: 1440, height: 900 }, phone: { width: 390, height: 844 } } as const;

async function setup(page: Page, state: TradingState = tradingState()) {
  let socket: WebSocketRoute | null = null;
  await page.routeWebSocket(/\/api\/v1\/ws\/backtests/, (ws) => {
    socket = ws; // accepted and kept open: the page says "Live updates on"
  });
  await mockApi(page, { trading: state });
  return { state, send: (frame: unknown) => socket?.send(JSON.stringify(frame)) };
}

async function noSidewaysScroll(page: Page) {
  const [sw, w] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(sw, "page wider than the screen").toBeLessThanOrEqual(w);
}

type Screen = { name: string; open: (page: Page) => Promise<void> };
const SCREENS: Screen[] = [
  {
    name: "trading-home",
    open: async (page) => {
      await page.goto("/trading/");
      await expect(page.getByTestId("deployment-card")).toHaveCount(2);
      await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "live");
    },
  },
  {
    name: "trading-deployment-paper",
    open: async (page) => {
      await page.goto(`/trading/deployment/?id=${PAPER_DEP}`);
      await expect(page.getByTestId("order-row").first()).toBeVisible();
      await chartsDrawn(page, 2);
    },
  },
  {
    name: "trading-deployment-live",
    open: async (page) => {
      await page.goto(`/trading/deployment/?id=${LIVE_DEP}`);
      await expect(page.getByTestId("approve-target")).toBeVisible();
      await chartsDrawn(page, 2);
    },
  },
  {
    name: "trading-account",
    open: async (page) => {
      await page.goto("/trading/account/");
      await expect(page.getByTestId("exception-row").first()).toBeVisible();
      await expect(page.getByTestId("position-group")).toHaveCount(2);
    },
  },
  {
    name: "trading-deploy-dialog",
    open: async (page) => {
      await page.goto(`/backtests/view/?id=${RUN_A.id}`);
      await page.getByTestId("deploy-paper").click();
      await expect(page.getByTestId("deploy-dialog").getByTestId("gate").first()).toBeVisible();
      await expect(page.getByTestId("account-picker")).toBeVisible();
    },
  },
];

for (const screen of SCREENS) {
  for (const theme of ["light", "dark"] as const) {
    for (const vp of ["desktop", "phone"] as const) {
      test(`${screen.name} · ${theme} · ${vp}`, async ({ page }, testInfo) => {
        await page.setViewportSize(VP[vp]);
        await page.emulateMedia({ colorScheme: theme, reducedMotion: "reduce" });
        await setup(page);
        await screen.open(page);
        await noSidewaysScroll(page);
        const name = `${screen.name}-${theme}-${vp === "desktop" ? 1440 : 390}`;
        if (screen.name.includes("dialog")) await page.screenshot({ path: `test-results/screenshots/${name}.png` });
        else await shot(page, name);
        await axe(page, name, testInfo);
      });
    }
  }
}

test("paper and live can never be confused: LIVE label, red frame and banner on every live surface", async ({ page }) => {
  await page.setViewportSize(VP.desktop);
  await setup(page);
  await page.goto("/trading/");
  const live = page.locator('[data-testid="deployment-card"][data-env="live"]');
  await expect(live).toContainText("LIVE — REAL MONEY");
  await expect(live.getByTestId("env-badge")).toHaveText("LIVE");
  await expect(page.locator('[data-testid="deployment-card"][data-env="paper"]').getByTestId("env-badge")).toHaveText(/paper/i);
  expect(await live.evaluate((el) => getComputedStyle(el).borderTopWidth)).toBe("4px");
  await page.goto(`/trading/deployment/?id=${LIVE_DEP}`);
  await expect(page.locator("[data-live-frame]")).toBeVisible();
  await expect(page.getByRole("note").filter({ hasText: "LIVE TRADING" })).toBeVisible();
  await page.goto(`/trading/deployment/?id=${PAPER_DEP}`);
  await expect(page.getByTestId("order-row").first()).toBeVisible();
  await expect(page.locator("[data-live-frame]")).toHaveCount(0);
});

test("deploy to paper from a result: gates as evaluated, typed acknowledgement, posted through the gateway, lands on the deployment", async ({ page }) => {
  await page.setViewportSize(VP.desktop);
  const { state } = await setup(page);
  await page.goto(`/backtests/view/?id=${RUN_A.id}`);
  await expect(page.getByTestId("dashboard")).toBeVisible();
  await page.getByTestId("deploy-paper").click();
  const dlg = page.getByTestId("deploy-dialog");
  await expect(dlg.getByTestId("gates-summary")).toBeVisible();
  await expect(dlg.getByTestId("mode-live")).toBeDisabled(); // a failing gate blocks live
  await expect(dlg.getByTestId("deploy-submit")).toBeDisabled();
  await dlg.getByLabel(/type deploy anyway/i).fill("deploy anyway");
  await dlg.getByLabel("Capital (account currency)").fill("25000");
  await dlg.getByTestId("review-manual").check();
  await dlg.getByTestId("deploy-submit").click();
  await expect(page).toHaveURL(/\/trading\/deployment\/\?id=77777777/);
  expect(state.deployed[0]).toMatchObject({ strategy_id: "strat-1", version: 1, backtest_id: RUN_A.id, mode: "paper", capital: "25000", account_id: "acc-paper", acknowledge_failed_gates: true, review_mode: "manual" });
  await expect(page.getByTestId("deployment-header")).toContainText("pending");
});

test("kill switch: one click + confirmation with a reason, flatten progress, killed everywhere, re-arm with a reason", async ({ page }) => {
  await page.setViewportSize(VP.desktop);
  await setup(page);
  await page.goto(`/trading/deployment/?id=${PAPER_DEP}`);
  const bar = page.getByTestId("kill-switch");
  await expect(bar).toHaveAttribute("data-state", "active");
  await bar.getByTestId("kill-button").click();
  const dlg = page.getByTestId("kill-dialog");
  await expect(dlg).toContainText("flattened");
  await dlg.getByLabel(/Reason/).fill("e2e: stop everything");
  await dlg.getByTestId("kill-dialog-confirm").click();
  await expect(bar).toHaveAttribute("data-state", "killed");
  await expect(bar.getByTestId("flatten-progress")).toContainText(/Flattening|Flatten complete/);
  await expect(bar.getByTestId("flatten-progress")).toContainText("Flatten complete", { timeout: 20_000 });
  await expect(page.getByTestId("deployment-header").getByTestId("risk-state")).toHaveText(/killed/i);
  await shot(page, "trading-killed-light-1440");
  await page.goto("/trading/");
  await expect(page.locator('[data-testid="kill-switch"][data-state="killed"]')).toHaveCount(1);
  await page.locator('[data-testid="kill-switch"][data-state="killed"]').getByTestId("rearm-button").click();
  const re = page.getByTestId("rearm-dialog");
  await expect(re.getByTestId("rearm-dialog-confirm")).toBeDisabled();
  await re.getByLabel(/Reason/).fill("positions checked: flat");
  await re.getByTestId("rearm-dialog-confirm").click();
  await expect(page.locator('[data-testid="kill-switch"][data-state="killed"]')).toHaveCount(0);
});

test("manual review: approve a proposed target with a reason; pause and resume", async ({ page }) => {
  await page.setViewportSize(VP.phone);
  await setup(page);
  await page.goto(`/trading/deployment/?id=${LIVE_DEP}`);
  await expect(page.getByTestId("manual-review-note")).toContainText("1 target waiting");
  await page.getByTestId("approve-target").click();
  await page.getByTestId("review-dialog").getByLabel(/Reason/).fill("signal confirmed");
  await page.getByTestId("review-dialog-confirm").click();
  await expect(page.locator('[data-testid="target-row"][data-review="approved"]')).toHaveCount(1);
  await expect(page.getByTestId("approve-target")).toHaveCount(0);
  await page.getByTestId("pause").click();
  await expect(page.getByTestId("deployment-header").getByTestId("deployment-status")).toHaveText("paused");
  await page.getByTestId("resume").click();
  await expect(page.getByTestId("deployment-header").getByTestId("deployment-status")).toHaveText("running");
  await noSidewaysScroll(page);
});

test("order audit trail: signal → target → risk decision → order → fills, by keyboard", async ({ page }) => {
  await page.setViewportSize(VP.desktop);
  await setup(page);
  await page.goto(`/trading/deployment/?id=${PAPER_DEP}`);
  const row = page.getByTestId("order-row").filter({ hasText: "BUY" });
  await row.locator("summary").focus();
  await page.keyboard.press("Enter");
  const trail = row.getByTestId("audit-trail");
  await expect(trail).toContainText("SAMPLE:AAPL: entry");
  await expect(trail).toContainText("target 100");
  await expect(trail).toContainText("clip");
  await expect(trail.getByTestId("trail-fill")).toContainText("paper-exec-0001");
});

test("account: positions by deployment + unattributed, reconciliation findings, exceptions acknowledged and resolved", async ({ page }) => {
  await page.setViewportSize(VP.phone);
  await setup(page);
  await page.goto("/trading/account/");
  await expect(page.locator('[data-testid="position-group"][data-deployment="unattributed"]')).toContainText("SAMPLE:MSFT");
  await page.getByTestId("reconcile-button").click();
  await page.getByTestId("reconcile-dialog").getByLabel(/Reason/).fill("daily check");
  await page.getByTestId("reconcile-dialog-confirm").click();
  await expect(page.getByTestId("reconcile-summary")).toContainText("1 break");
  await expect(page.getByTestId("reconcile-item")).toHaveCount(2);
  const open = page.locator('[data-testid="exception-row"][data-status="open"]');
  await open.getByTestId("acknowledge-exception").click();
  await page.getByTestId("exception-dialog").getByLabel(/Reason/).fill("on it");
  await page.getByTestId("exception-dialog-confirm").click();
  await expect(page.locator('[data-testid="exception-row"][data-status="open"]')).toHaveCount(0);
  await page.getByTestId("resolve-exception").first().click();
  await page.getByTestId("exception-dialog").getByLabel(/Reason/).fill("re-attributed the MSFT to a deployment");
  await page.getByTestId("exception-dialog-confirm").click();
  await expect(page.getByTestId("exception-row")).toHaveCount(1);
  await noSidewaysScroll(page);
});

test("live update: a fill frame on the per-user WebSocket shows the new fill without a reload", async ({ page }) => {
  await page.setViewportSize(VP.desktop);
  const { state, send } = await setup(page);
  await page.goto(`/trading/deployment/?id=${PAPER_DEP}`);
  await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "live");
  await expect(page.getByText("(3 orders, 1 fills)")).toBeVisible();
  state.fills.push({ id: "f2", order_id: "o3", client_order_id: "x", execution_id: "paper-exec-0002", symbol: "SAMPLE:AAPL", side: "sell", qty: "100", price: "4.4001", fees: "1.0000", ts: "2006-03-16T14:30:00Z" });
  send({ type: "fill", environment: "paper", data: { deployment_id: PAPER_DEP, id: "f2" } });
  await expect(page.getByText("(3 orders, 2 fills)")).toBeVisible({ timeout: 5_000 }); // well before the 15 s poll
});
