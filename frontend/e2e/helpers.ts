import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, type TestInfo } from "@playwright/test";

export const SHOTS = join(dirname(fileURLToPath(import.meta.url)), "..", "test-results", "screenshots");
mkdirSync(SHOTS, { recursive: true });

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

/**
 * Full-page capture from the top; for screens with a sticky bottom bar (the chat composer) a
 * viewport capture at the bottom instead, which is what a person sees.
 */
export async function shot(page: Page, name: string, opts: { viewportAtBottom?: boolean } = {}) {
  await page.evaluate((bottom) => window.scrollTo(0, bottom ? document.body.scrollHeight : 0), !!opts.viewportAtBottom);
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: !opts.viewportAtBottom });
}

/** axe-core (WCAG 2.1 A/AA): fails on serious or critical violations, attaches the full list. */
export async function axe(page: Page, name: string, testInfo: TestInfo) {
  const res = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = res.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const summary = res.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
  writeFileSync(join(SHOTS, `${name}.axe.json`), JSON.stringify({ violations: summary, passes: res.passes.length }, null, 2));
  await testInfo.attach(`axe-${name}`, { body: JSON.stringify(summary, null, 2), contentType: "application/json" });
  expect(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

/** Wait until every chart container on the page has drawn its canvas. */
export async function chartsDrawn(page: Page, min = 1) {
  await page.waitForFunction((n) => document.querySelectorAll("canvas").length >= n, min, { timeout: 20_000 });
  await page.waitForTimeout(300);
}
