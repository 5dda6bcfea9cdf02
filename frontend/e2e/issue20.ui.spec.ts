import { expect, test, type Page } from "@playwright/test";
import { axe, chartsDrawn, shot } from "./helpers";
import { mockApi, RUN_A, RUN_B, RUN_FAILED, RUN_WF } from "./mock-api";

/**
 * Issue 20, "broken today": each fix at a 1440 px desktop and a 390 px phone, against fixtures
 * shaped like the contracts (the real-stack versions are in stack.spec.ts).
 */
const WIDTHS = { desktop: { width: 1440, height: 900 }, phone: { width: 390, height: 844 } } as const;
type Vp = keyof typeof WIDTHS;

async function setup(page: Page, vp: Vp, opts: Parameters<typeof mockApi>[1] = {}) {
  await page.setViewportSize(WIDTHS[vp]);
  await page.emulateMedia({ colorScheme: "light", reducedMotion: "reduce" });
  await mockApi(page, opts);
}

/** The page never scrolls sideways: nothing is wider than the window. */
async function expectNoSidewaysScroll(page: Page, where: string) {
  const { sw, w, culprit } = await page.evaluate(() => {
    const w = window.innerWidth;
    let culprit = "";
    for (const el of Array.from(document.querySelectorAll("body *"))) {
      const r = el.getBoundingClientRect();
      if (r.right > w + 1 && getComputedStyle(el).position !== "fixed") {
        // skip what sits inside a horizontally scrolling box
        let p = el.parentElement, clipped = false;
        while (p && p !== document.body) {
          const o = getComputedStyle(p).overflowX;
          if (o === "auto" || o === "scroll" || o === "hidden") { clipped = true; break; }
          p = p.parentElement;
        }
        if (!clipped) { culprit = `${el.tagName.toLowerCase()}.${String(el.className).slice(0, 80)} right=${Math.round(r.right)}`; break; }
      }
    }
    return { sw: document.documentElement.scrollWidth, w, culprit };
  });
  expect(sw, `${where}: page is ${sw}px wide in a ${w}px window (${culprit})`).toBeLessThanOrEqual(w);
}

async function inViewport(page: Page, loc: ReturnType<Page["locator"]>) {
  const box = await loc.boundingBox();
  const w = page.viewportSize()!.width;
  return !!box && box.x >= 0 && box.x + box.width <= w + 1;
}

for (const vp of ["desktop", "phone"] as const) {
  test.describe(`issue 20 · ${vp}`, () => {
    test(`backtests list shows return, Sharpe, drawdown and trades · ${vp}`, async ({ page }, testInfo) => {
      await setup(page, vp);
      await page.goto("/backtests/");
      const row = page.getByTestId("backtest-row").nth(1); // RUN_A
      const s = RUN_A.result.summary_stats;
      await expect(row).toContainText(`+${s.total_return_pct.toFixed(2)}%`);
      await expect(row).toContainText(s.sharpe_ratio!.toFixed(2));
      await expect(row).toContainText(`-${s.max_drawdown_pct.toFixed(2)}%`);
      await expect(row.getByTestId("run-trades")).toHaveText(String(s.trade_count));
      if (vp === "phone") {
        // on a phone the figures sit under the name, on screen
        const compact = row.getByTestId("run-stats-compact");
        await expect(compact).toBeVisible();
        await expect(compact).toContainText(`Return +${s.total_return_pct.toFixed(2)}%`);
        await expect(compact).toContainText(`Sharpe ${s.sharpe_ratio!.toFixed(2)}`);
        await expect(compact).toContainText(`Trades ${s.trade_count}`);
        expect(await inViewport(page, compact)).toBe(true);
      } else {
        await expect(row.getByTestId("run-trades")).toBeVisible();
      }
      // the failed run has no figures
      await expect(page.getByTestId("backtest-row").nth(2)).toContainText("failed");
      await expectNoSidewaysScroll(page, "backtests");
      await shot(page, `i20-backtests-${vp}`);
      await axe(page, `i20-backtests-${vp}`, testInfo);
    });

    test(`no page is wider than the screen · ${vp}`, async ({ page }) => {
      await setup(page, vp);
      const urls = [
        "/backtests/",
        `/backtests/view/?id=${RUN_A.id}`,
        `/backtests/compare/?ids=${RUN_A.id},${RUN_B.id}`,
        `/backtests/compare/?ids=${RUN_A.id},${RUN_B.id},${RUN_WF.id}`,
        "/editor/?id=strat-1",
        "/market/?symbol=SAMPLE:AAPL",
        "/strategies/",
        "/strategies/view/?id=strat-1",
        "/settings/",
      ];
      for (const u of urls) {
        await page.goto(u);
        await page.waitForLoadState("networkidle");
        await page.waitForTimeout(400);
        await expectNoSidewaysScroll(page, u);
      }
      await page.goto("/chat/");
      await page.getByLabel("Describe your strategy").fill("SMA cross on SAMPLE:AAPL 2005-2012 with a 5% stop");
      await page.keyboard.press("Enter");
      const card = page.getByTestId("strategy-card");
      await expect(card).toBeVisible();
      for (const tab of ["Explanation", "Spec", "Code"]) {
        await card.getByRole("tab", { name: tab }).click();
        await page.waitForTimeout(200);
        await expectNoSidewaysScroll(page, `chat ${tab} tab`);
        if (tab !== "Explanation") await shot(page, `i20-chat-${tab.toLowerCase()}-${vp}`, { viewportAtBottom: true });
      }
      // the card itself fits: the code scrolls inside its box
      const box = await card.boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(WIDTHS[vp].width);
    });

    test(`compare page fits and its chart and values are on screen · ${vp}`, async ({ page }, testInfo) => {
      await setup(page, vp);
      await page.goto(`/backtests/compare/?ids=${RUN_A.id},${RUN_B.id}`);
      await expect(page.getByTestId("compare-table")).toContainText("Sharpe");
      await chartsDrawn(page, 1);
      await expectNoSidewaysScroll(page, "compare");
      expect(await inViewport(page, page.getByTestId("line-chart").first())).toBe(true);
      const sharpeRow = page.getByTestId("compare-table").getByRole("row").filter({ hasText: "Sharpe" }).first();
      expect(await inViewport(page, sharpeRow.getByRole("cell").last())).toBe(true);
      // each run says which strategy version it ran
      await expect(page.getByTestId("compare-table").getByRole("columnheader").nth(1)).toContainText("SMA 20/50 cross on AAPL v1");
      await expect(page.getByTestId("compare-table").getByRole("columnheader").nth(2)).toContainText("v2");
      await shot(page, `i20-compare-${vp}`);
      await axe(page, `i20-compare-${vp}`, testInfo);
    });

    test(`trade table keeps return, P&L and exit reason in view · ${vp}`, async ({ page }) => {
      await setup(page, vp);
      await page.goto(`/backtests/view/?id=${RUN_A.id}`);
      const log = page.getByTestId("trade-log");
      await expect(log).toBeVisible();
      const header = log.getByRole("row").first();
      for (const name of [/^Return/, /^P&L/, /^Exit reason/]) {
        const h = header.getByRole("button", { name });
        await expect(h).toBeVisible();
        expect(await inViewport(page, h), `${name} on screen`).toBe(true);
      }
      const firstRow = page.getByTestId("trade-row").first();
      await expect(firstRow).toContainText("%");
      if (vp === "phone") {
        // the four columns fit: no sideways scrolling inside the table either
        await expect(log.locator("xpath=ancestor::div[contains(@class,'grid')][1]").getByTestId("scroll-hint")).toHaveCount(0);
        await expect(page.getByTestId("trade-columns-hint")).toBeVisible();
        await expect(page.getByTestId("trade-columns-hint")).toContainText("CSV");
      } else {
        await expect(page.getByTestId("trade-columns-hint")).toBeHidden();
        await expect(header.getByRole("button", { name: /^Entry price/ })).toBeVisible();
      }
      await expectNoSidewaysScroll(page, "dashboard");
      await page.getByTestId("trade-log").scrollIntoViewIfNeeded();
      await page.screenshot({ path: `test-results/screenshots/i20-trades-${vp}.png` });
    });

    test(`walk-forward starts from the results page and the out-of-sample gate evaluates · ${vp}`, async ({ page }, testInfo) => {
      await setup(page, vp);
      await page.goto(`/backtests/view/?id=${RUN_A.id}`);
      await expect(page.getByTestId("dashboard")).toBeVisible();
      await expect(page.getByTestId("run-version")).toHaveText("version 1");
      const oos = page.getByTestId("gate").filter({ hasText: "Out of sample" });
      await expect(oos.getByLabel("failed")).toBeVisible();
      await page.getByTestId("open-walk-forward").click();
      const form = page.getByTestId("walk-forward-form");
      await expect(form).toBeVisible();
      await expect(form.getByLabel("Values to try for fast · window")).toHaveValue("10, 15, 20, 30");
      await form.getByLabel("Values to try for slow · window").fill("40, 50, sixty");
      await form.getByTestId("walk-forward-run").click();
      await expect(form).toContainText("“sixty” is not a positive number.");
      await form.getByLabel("Values to try for slow · window").fill("40, 50, 60");
      await expect(page.getByTestId("walk-forward-estimate")).toContainText("12 combinations per window");
      await expectNoSidewaysScroll(page, "walk-forward form");
      await form.scrollIntoViewIfNeeded();
      await page.screenshot({ path: `test-results/screenshots/i20-walk-forward-form-${vp}.png` });
      await axe(page, `i20-walk-forward-form-${vp}`, testInfo);
      const [req] = await Promise.all([page.waitForRequest((r) => r.url().endsWith("/api/v1/backtest/run") && r.method() === "POST"), form.getByTestId("walk-forward-run").click()]);
      expect(req.postDataJSON()).toEqual({
        strategy_id: "strat-1",
        walk_forward: { parameters: { "fast.window": [10, 15, 20, 30], "slow.window": [40, 50, 60] }, in_sample_bars: 504, out_of_sample_bars: 126, objective: "sharpe_ratio" },
      });
      await expect(page).toHaveURL(new RegExp(`id=${RUN_WF.id}`));
      const report = page.getByTestId("walk-forward-report");
      await expect(report).toBeVisible();
      await expect(page.getByTestId("wf-window")).toHaveCount(RUN_WF.result.walk_forward.windows.length);
      await expect(page.getByTestId("gate").filter({ hasText: "Out of sample" }).getByLabel("passed")).toBeVisible();
      const oosHeader = report.getByRole("columnheader", { name: /Out-of-sample return/ });
      expect(await inViewport(page, oosHeader), "out-of-sample return column on screen").toBe(true);
      await expect(page.getByTestId("wf-window").first()).toContainText("fast window");
      await expectNoSidewaysScroll(page, "walk-forward report");
      await report.scrollIntoViewIfNeeded();
      await page.screenshot({ path: `test-results/screenshots/i20-walk-forward-report-${vp}.png` });
      await axe(page, `i20-walk-forward-report-${vp}`, testInfo);
    });

    test(`walk-forward is reachable from the backtests list · ${vp}`, async ({ page }) => {
      await setup(page, vp);
      await page.goto("/backtests/");
      await page.getByTestId("walk-forward-link").nth(1).click();
      await expect(page.getByTestId("walk-forward-form")).toBeVisible();
    });

    test(`charts: no tags over lines or axis, readable axis numbers, first year label not clipped · ${vp}`, async ({ page }) => {
      await setup(page, vp);
      await page.goto(`/backtests/view/?id=${RUN_A.id}`);
      await chartsDrawn(page, 3);
      await expect(page.getByTestId("price-chart")).toBeVisible();
      const info = await page.evaluate(() => {
        type C = { options(): any; panes(): { getSeries(): { options(): any; data(): { time: number; value?: number; close?: number }[] }[] }[]; timeScale(): { timeToCoordinate(t: number): number | null } };
        const charts = [...document.querySelectorAll<HTMLElement>('[data-testid="line-chart"], [data-testid="price-chart"]')].map((el) => (el as HTMLElement & { __chart?: C }).__chart!).filter(Boolean);
        return charts.map((c) => {
          const series = c.panes().flatMap((p) => p.getSeries());
          const main = series[0];
          const firstReal = main.data().find((d) => d.value !== undefined || d.close !== undefined)!;
          const loc = c.options().localization;
          return {
            tags: series.map((s) => ({ title: s.options().title, last: s.options().lastValueVisible, line: s.options().priceLineVisible })),
            axis: loc.tickmarksPriceFormatter([160000, 180000, 200000]),
            axisSmall: loc.tickmarksPriceFormatter([100, 200, 300]),
            firstX: c.timeScale().timeToCoordinate(firstReal.time),
            n: main.data().length,
            edges: [c.options().timeScale.fixLeftEdge, c.options().timeScale.fixRightEdge],
            dayLabel: c.options().timeScale.tickMarkFormatter(Date.UTC(2012, 11, 13) / 1000, 2),
          };
        });
      });
      expect(info.length).toBeGreaterThanOrEqual(3);
      for (const c of info) {
        for (const t of c.tags.slice(0, 1)) expect(t).toEqual({ title: "", last: false, line: false });
        expect(c.edges).toEqual([true, true]); // edge time labels are moved inside, not cut
        if (c.n >= 200) expect(c.firstX).toBeGreaterThanOrEqual(16); // room for half a "2005" label (dense series)
      }
      const equity = info[0];
      expect(equity.axis).toEqual(["160K", "180K", "200K"]);
      expect(equity.dayLabel).toBe("Dec 13"); // not a bare "13" beside the years
      expect(equity.axisSmall).toEqual(["100", "200", "300"]);
      const pct = info.find((c) => c.axisSmall[0].endsWith("%"));
      expect(pct?.axisSmall).toEqual(["100%", "200%", "300%"]);
      await page.getByText("Performance", { exact: true }).scrollIntoViewIfNeeded();
      await page.screenshot({ path: `test-results/screenshots/i20-charts-${vp}.png` });
    });

    test(`insight: "how computed" stays inside its card and shows no server path · ${vp}`, async ({ page }, testInfo) => {
      await setup(page, vp);
      await page.goto("/market/?symbol=SAMPLE:AAPL");
      await expect(page.getByTestId("insight")).toBeVisible();
      const box = page.getByTestId("insight-derivations");
      await box.getByText("How these were computed").click();
      await expect(box).toContainText("econ_calendar.yaml");
      await expect(box).not.toContainText("/srv/");
      const fits = await box.evaluate((el) => {
        const r = el.getBoundingClientRect();
        const inner = [...el.querySelectorAll("*")].every((c) => c.getBoundingClientRect().right <= r.right + 1);
        return inner && el.scrollWidth <= el.clientWidth + 1;
      });
      expect(fits).toBe(true);
      await expectNoSidewaysScroll(page, "market");
      await box.scrollIntoViewIfNeeded();
      await page.screenshot({ path: `test-results/screenshots/i20-insight-${vp}.png` });
      await axe(page, `i20-insight-${vp}`, testInfo);
    });

    test(`editor: canonical key order, unsaved-changes guard, syntax errors with line numbers · ${vp}`, async ({ page }, testInfo) => {
      await setup(page, vp);
      await page.goto("/editor/?id=strat-1");
      await expect(page.getByTestId("spec-status")).toHaveText("Valid StrategySpec");
      const ta = page.getByLabel("StrategySpec JSON");
      const text = await ta.inputValue();
      const keys = Object.keys(JSON.parse(text));
      expect(keys.slice(0, 3)).toEqual(["name", "description", "universe"]);
      expect(keys.indexOf("indicators")).toBeLessThan(keys.indexOf("entry"));
      expect(keys.indexOf("entry")).toBeLessThan(keys.indexOf("exit"));
      // a missing comma in the middle: the line and what to do
      const lines = text.split("\n");
      const at = lines.findIndex((l) => l.startsWith('  "direction"'));
      lines[at] = lines[at].replace(/,$/, "");
      await ta.fill(lines.join("\n"));
      const issue = page.getByTestId("spec-issue");
      await expect(issue).toHaveCount(1);
      await expect(issue).toContainText(`line ${at + 2}`);
      await expect(issue).toContainText("comma missing");
      await expect(page.locator(`[data-error-line="${at + 2}"]`)).toHaveCount(1);
      await shot(page, `i20-editor-syntax-${vp}`);
      await axe(page, `i20-editor-syntax-${vp}`, testInfo);
      // leaving with unsaved changes asks first; "Cancel" keeps the edit
      let asked = "";
      page.once("dialog", (d) => ((asked = d.message()), void d.dismiss()));
      if (vp === "phone") {
        await page.getByRole("button", { name: "Open navigation" }).click();
      }
      await page.getByRole("link", { name: "Strategies" }).first().click();
      await page.waitForTimeout(300);
      expect(asked).toContain("unsaved changes");
      await expect(page).toHaveURL(/\/editor\//);
      expect(await ta.inputValue()).toBe(lines.join("\n"));
      // a reload or closed tab asks too (beforeunload is cancelled)
      expect(await page.evaluate(() => !window.dispatchEvent(new Event("beforeunload", { cancelable: true })))).toBe(true);
      // accepting leaves
      page.once("dialog", (d) => void d.accept());
      if (vp === "phone" && !(await page.getByRole("link", { name: "Strategies" }).first().isVisible())) {
        await page.getByRole("button", { name: "Open navigation" }).click();
      }
      await page.getByRole("link", { name: "Strategies" }).first().click();
      await expect(page).toHaveURL(/\/strategies\/$/);
    });

    test(`people read human messages, not developer wording · ${vp}`, async ({ page }, testInfo) => {
      await setup(page, vp, { signedIn: false });
      await page.goto("/login/");
      await page.getByLabel("Email").fill("trader@example.com");
      await page.getByLabel("Password").fill("wrong-password");
      await page.getByRole("button", { name: "Sign in" }).click();
      const alert = page.locator("main").getByRole("alert"); // (Next's route announcer is an alert too)
      await expect(alert).toContainText("Wrong email or password");
      await expect(alert).toContainText("Wrong e-mail or password.");
      await expect(alert).not.toContainText("Authentication required");
      await expect(page.getByText("c0ffee00-1234-4abc-9def-0123456789ab")).toBeHidden();
      await shot(page, `i20-login-wrong-password-${vp}`);
      await axe(page, `i20-login-wrong-password-${vp}`, testInfo);
      await page.goto("/register/");
      await page.getByLabel("Email").fill("dup@example.com");
      await page.getByLabel("Password").fill("long enough password");
      await page.getByRole("button", { name: "Create account" }).click();
      await expect(page.locator("main").getByRole("alert")).toContainText("That already exists");
      await expect(page.locator("main").getByRole("alert")).not.toContainText(/\bConflict\b/);
    });

    test(`a failed run explains itself without env vars, API paths or pydantic text · ${vp}`, async ({ page }, testInfo) => {
      await setup(page, vp);
      await page.goto(`/backtests/view/?id=${RUN_FAILED.id}`);
      const alert = page.locator("main").getByRole("alert");
      await expect(alert).toContainText("A part of VibeTrading failed");
      await expect(alert).toContainText("risk › stop loss › percent: must be more than 0");
      await expect(alert).toContainText("period: the backtest period starts in the future");
      for (const bad of ["MARKET_DATA_URL", "/api/v1", "Upstream failure", "Value error", "Input should be", "body.spec"]) await expect(alert).not.toContainText(bad);
      await expect(page.getByText(RUN_FAILED.error.correlation_id)).toBeHidden();
      await alert.getByText("Details for support").click();
      await expect(page.getByText(RUN_FAILED.error.correlation_id)).toBeVisible();
      await expectNoSidewaysScroll(page, "failed run");
      await shot(page, `i20-failed-run-${vp}`);
      await axe(page, `i20-failed-run-${vp}`, testInfo);
    });

    test(`results page: monthly returns heatmap and the worst drawdowns · ${vp}`, async ({ page }, testInfo) => {
      await setup(page, vp);
      await page.goto(`/backtests/view/?id=${RUN_A.id}`);
      const monthly = page.getByTestId("monthly-returns");
      await expect(monthly).toBeVisible();
      await expect(page.getByTestId("monthly-row")).toHaveCount(8); // 2005..2012
      await expect(page.getByTestId("monthly-row").first().getByRole("rowheader")).toHaveText("2005");
      const dds = page.getByTestId("drawdown-row");
      await expect(dds).toHaveCount(5);
      const depths = (await dds.locator("td:first-child").allTextContents()).map((t) => parseFloat(t));
      expect(depths).toEqual([...depths].sort((a, b) => a - b)); // deepest first
      // the deepest equals the run's max drawdown
      expect(Math.abs(depths[0])).toBeCloseTo(RUN_A.result.summary_stats.max_drawdown_pct, 1);
      await expectNoSidewaysScroll(page, "results with heatmap");
      await monthly.scrollIntoViewIfNeeded();
      await page.screenshot({ path: `test-results/screenshots/i20-monthly-drawdowns-${vp}.png` });
      await axe(page, `i20-monthly-drawdowns-${vp}`, testInfo);
    });

    test(`results page: a trade row moves the price chart to it; log scale · ${vp}`, async ({ page }, testInfo) => {
      await setup(page, vp);
      await page.goto(`/backtests/view/?id=${RUN_A.id}`);
      await expect(page.getByTestId("price-chart")).toBeVisible();
      await chartsDrawn(page, 3);
      type C = { timeScale(): { getVisibleRange(): { from: number; to: number } | null }; priceScale(id: string): { options(): { mode: number } } };
      const chartState = () =>
        page.getByTestId("price-chart").evaluate((el) => {
          const c = (el as HTMLElement & { __chart: C }).__chart;
          return { range: c.timeScale().getVisibleRange(), mode: c.priceScale("right").options().mode };
        });
      const before = await chartState();
      const trade = RUN_A.result.trades[4]; // an 11-bar stop-loss trade
      await page.getByTestId("show-trade").nth(4).click();
      await expect(page.getByTestId("chart-focus")).toContainText(`trade from ${trade.entry_time.slice(0, 10)}`);
      await page.waitForTimeout(400);
      const after = await chartState();
      const entry = Date.parse(trade.entry_time) / 1000, exit = Date.parse(trade.exit_time!) / 1000;
      expect(after.range!.from).toBeLessThanOrEqual(entry);
      expect(after.range!.to).toBeGreaterThanOrEqual(exit);
      expect(after.range!.to - after.range!.from).toBeLessThan((before.range!.to - before.range!.from) / 2);
      expect(await inViewport(page, page.getByTestId("price-chart"))).toBe(true);
      await page.getByTestId("log-scale").check();
      await expect.poll(async () => (await chartState()).mode).toBe(1);
      await page.getByTestId("price-chart").scrollIntoViewIfNeeded();
      await page.screenshot({ path: `test-results/screenshots/i20-trade-focus-${vp}.png` });
      await axe(page, `i20-trade-focus-${vp}`, testInfo);
      await page.getByRole("button", { name: "Show all" }).click();
      await page.waitForTimeout(300);
      const all = await chartState();
      expect(all.range!.to - all.range!.from).toBeGreaterThan((before.range!.to - before.range!.from) * 0.9);
    });

    test(`results page: rolling Sharpe, cumulative P&L per trade, long/short split · ${vp}`, async ({ page }, testInfo) => {
      await setup(page, vp);
      await page.goto(`/backtests/view/?id=${RUN_A.id}`);
      await expect(page.getByTestId("dashboard")).toBeVisible();
      await page.getByRole("tab", { name: "Rolling Sharpe" }).click();
      const sharpe = page.getByTestId("rolling-sharpe");
      await expect(sharpe.getByTestId("line-chart")).toBeVisible();
      await expect(sharpe).toContainText("Rolling Sharpe, 126 bars");
      await expect(page.getByTestId("cumulative-pnl").getByTestId("line-chart")).toBeVisible();
      const closed = RUN_A.result.trades.filter((t) => !t.is_open);
      const row = page.getByTestId("side-row");
      await expect(row).toHaveCount(1); // long only
      await expect(row).toContainText(String(closed.length));
      const total = closed.reduce((a, t) => a + t.pnl, 0);
      await expect(row).toContainText(total.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
      // the last point of the cumulative P&L chart is the total
      const last = await page.getByTestId("cumulative-pnl").getByTestId("line-chart").evaluate((el) => {
        const d = (el as HTMLElement & { __chart: { panes(): { getSeries(): { data(): { value?: number }[] }[] }[] } }).__chart.panes()[0].getSeries()[0].data();
        return d[d.length - 1].value;
      });
      expect(last).toBeCloseTo(total, 2);
      await expectNoSidewaysScroll(page, "results with trade analysis");
      await page.getByTestId("direction-split").scrollIntoViewIfNeeded();
      await page.screenshot({ path: `test-results/screenshots/i20-trade-analysis-${vp}.png` });
      await axe(page, `i20-trade-analysis-${vp}`, testInfo);
    });

    test(`unknown routes get the branded 404 page; the app has a favicon · ${vp}`, async ({ page }, testInfo) => {
      await setup(page, vp);
      const res = await page.goto("/no/such/page/");
      expect(res?.status()).toBe(404);
      await expect(page.getByRole("heading", { name: "This page does not exist" })).toBeVisible();
      await expect(page.getByRole("link", { name: "Chat a strategy" })).toBeVisible();
      await expect(page.getByText("VibeTrading").first()).toBeVisible();
      await expectNoSidewaysScroll(page, "404");
      await shot(page, `i20-404-${vp}`);
      await axe(page, `i20-404-${vp}`, testInfo);
      const href = await page.locator('link[rel="icon"]').first().getAttribute("href");
      expect(href).toBeTruthy();
      const icon = await page.request.get(href!);
      expect(icon.status()).toBe(200);
      expect(icon.headers()["content-type"]).toContain("svg");
    });
  });
}

test("dark theme: the new states pass axe too (walk-forward form and report, failed run, 404)", async ({ page }, testInfo) => {
  await page.setViewportSize(WIDTHS.phone);
  await page.emulateMedia({ colorScheme: "dark", reducedMotion: "reduce" });
  await mockApi(page);
  await page.goto(`/backtests/view/?id=${RUN_A.id}&wf=1`);
  await expect(page.getByTestId("walk-forward-form")).toBeVisible();
  await expect(page.getByTestId("monthly-returns")).toBeVisible();
  await expect(page.locator("html")).toHaveClass(/dark/);
  await shot(page, "i20-dashboard-wf-dark-phone");
  await axe(page, "i20-dashboard-wf-dark-phone", testInfo);
  await page.goto(`/backtests/view/?id=${RUN_WF.id}`);
  await expect(page.getByTestId("walk-forward-report")).toBeVisible();
  await axe(page, "i20-wf-report-dark-phone", testInfo);
  await page.goto(`/backtests/view/?id=${RUN_FAILED.id}`);
  await expect(page.locator("main").getByRole("alert")).toBeVisible();
  await axe(page, "i20-failed-run-dark-phone", testInfo);
  await page.goto("/no/such/page/");
  await expect(page.getByTestId("not-found")).toBeVisible();
  await axe(page, "i20-404-dark-phone", testInfo);
});

