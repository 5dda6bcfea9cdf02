import { defineConfig } from "@playwright/test";

/**
 * Two projects:
 *  - "ui": every screen against the static export with the API answered by fixtures (page.route):
 *    screenshots light/dark × desktop/phone, axe-core checks, the chart render benchmark.
 *  - "stack": the real platform started by `uv run vt-dev up` (global-setup.ts): sign up → chat →
 *    card → backtest → dashboard → edit → re-run → compare.
 * Browser: Debian's chromium (a downloaded browser build is not reachable here).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const UI_PORT = Number(process.env.VT_E2E_UI_PORT ?? 18090);

export default defineConfig({
  testDir: "./e2e",
  outputDir: "./test-results/artifacts",
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  globalSetup: "./e2e/global-setup.ts",
  globalTeardown: "./e2e/global-teardown.ts",
  use: {
    browserName: "chromium",
    launchOptions: {
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  webServer: {
    command: `node e2e/serve.mjs`,
    env: { PORT: String(UI_PORT) },
    url: `http://127.0.0.1:${UI_PORT}/login/`,
    reuseExistingServer: false,
    timeout: 30_000,
  },
  projects: [
    { name: "ui", testMatch: /ui\.spec\.ts/, use: { baseURL: `http://127.0.0.1:${UI_PORT}` } },
    { name: "stack", testMatch: /stack\.spec\.ts/ },
  ],
});
