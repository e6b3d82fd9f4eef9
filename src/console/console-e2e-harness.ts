import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { axeViolations, launchChromium, logIn } from "../testing/console-browser.ts";
import { killPlatform, type RampartUp, startRampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject, type TestProjectOptions } from "../testing/test-project.ts";

/**
 * What every console browser test shares: a real `rampart up` on a test project, Debian's Chromium, the login
 * form, the accessibility check and the screenshots. Each console e2e file starts one rig (one `rampart up`, one
 * browser) so the files stay short and under a minute each.
 */
export { addUser, axeViolations, launchChromium, logIn } from "../testing/console-browser.ts";

/**
 * Every run keeps its screenshots in test-results/console/ (ignored by git); RAMPART_UPDATE_SCREENSHOTS=1 writes
 * them to docs/console/ instead, the ones the README and docs/console.md show.
 */
export const SHOTS = fileURLToPath(
  new URL(process.env.RAMPART_UPDATE_SCREENSHOTS === "1" ? "../../docs/console/" : "../../test-results/console/", import.meta.url),
);

/** The screen the issue asks the home view to fit (1366×768). */
export const VIEWPORT = { width: 1366, height: 768 };

/**
 * `body` run on a page of a browser context of its own (its own session cookie), logged in as `user`; the context is
 * closed after, whatever happens.
 */
export async function asUser(
  browser: Browser,
  base: string,
  user: { user: string; password: string },
  body: (page: Page) => Promise<void>,
): Promise<void> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const page = await context.newPage();
    await logIn(page, base, user.user, user.password);
    await body(page);
  } finally {
    await context.close();
  }
}

/** A screenshot of the page as it is, named after the view, in SHOTS. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}${name}.png` });
}

export interface ConsoleRig {
  project: TestProject;
  up: RampartUp;
  /** The console's (and the API's) address. */
  base: string;
  browser: Browser;
  /** Closes the browser and stops the platform; safe to call when the start failed half way. */
  close(): Promise<void>;
}

/**
 * A test project served by a real `rampart up` (the data dir's local credentials in `up.client`, full access) and a
 * Chromium to look at it. `env` adds to this process's environment (RAMPART_API and RAMPART_TOKEN are cleared so a
 * developer's own settings do not leak in).
 */
export async function startConsoleRig(options: { project?: TestProjectOptions; env?: Record<string, string> } = {}): Promise<ConsoleRig> {
  mkdirSync(SHOTS, { recursive: true });
  const project = await createTestProject(options.project);
  let up: RampartUp | undefined;
  let browser: Browser | undefined;
  try {
    up = await startRampartUp({
      ...project,
      addEnv: options.env,
      timeoutMs: 90_000,
    });
    browser = await launchChromium();
  } catch (error) {
    await killPlatform(project.dataDir, up);
    throw error;
  }
  const started = { up, browser };
  return {
    project,
    up,
    base: up.client.baseUrl,
    browser,
    async close() {
      try {
        await started.browser.close();
      } finally {
        await killPlatform(project.dataDir, started.up);
      }
    },
  };
}

/**
 * Opens a view by its hash route (e.g. "apps/staging/web"), reloaded so the theme in localStorage applies, and waits
 * until its heading is there and nothing is loading any more.
 */
export async function openView(page: Page, base: string, view: string): Promise<void> {
  await page.goto(`${base}/#/${view}`);
  await page.reload();
  await page.locator("main h1").first().waitFor();
  await page.getByText("Loading…").waitFor({ state: "detached" });
}

/** The serious and critical axe violations on the page as it is, one line each, labelled (e.g. "light #/alerts"). */
export async function seriousViolations(page: Page, label: string): Promise<string[]> {
  const found: string[] = [];
  for (const v of await axeViolations(page))
    if (v.impact === "serious" || v.impact === "critical")
      found.push(`${label}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  return found;
}

/** Sets the console's theme for the next page load. */
export async function setTheme(page: Page, theme: "light" | "dark"): Promise<void> {
  await page.evaluate((t) => localStorage.setItem("rampart.theme", t), theme);
}
