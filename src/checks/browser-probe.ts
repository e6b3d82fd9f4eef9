import { existsSync } from "node:fs";
import type { Clock } from "../shared/clock.ts";
import type { ProbeResult } from "./check-condition.ts";

/** Debian's chromium package; playwright-core drives it (no browser download). */
export const CHROMIUM = process.env.RAMPART_CHROMIUM ?? "/usr/bin/chromium";

export type BrowserStep = { goto: string } | { click: string } | { expect_text: string };

export interface BrowserProbeRequest {
  /** Where a `goto: /path` step is resolved (the edge's address, or the check's own). */
  base: string;
  steps: BrowserStep[];
  /** For the whole run: every step waits at most this long. */
  timeoutMs: number;
}

export type BrowserProber = (request: BrowserProbeRequest) => Promise<ProbeResult>;

/**
 * Runs the steps in a fresh headless Chromium (one per run: a check every 10 s or more does not need a warm browser,
 * and a fresh profile keeps runs independent). Success is status 200 with the steps done; a failed step is no
 * response (status null) with the step named in `error`, so every condition fails with it.
 */
export function chromiumProber(clock: Clock): BrowserProber {
  return async ({ base, steps, timeoutMs }) => {
    const started = clock.now();
    const done = (error: string | null): ProbeResult => ({
      status: error === null ? 200 : null,
      elapsedMs: clock.now() - started,
      bodyText: "",
      certificateExpiresAt: null,
      error,
    });
    if (!existsSync(CHROMIUM)) return done(`no browser at ${CHROMIUM}: apt-get install chromium (or set RAMPART_CHROMIUM)`);
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], timeout: timeoutMs });
    try {
      const page = await browser.newPage({ ignoreHTTPSErrors: true });
      page.setDefaultTimeout(timeoutMs);
      for (const [index, step] of steps.entries()) {
        const where = `step ${index + 1} (${describeStep(step)})`;
        try {
          if ("goto" in step) {
            const response = await page.goto(new URL(step.goto, base).toString());
            if (response !== null && response.status() >= 400) return done(`${where}: HTTP ${response.status()}`);
          } else if ("click" in step) await page.click(step.click);
          else await page.getByText(step.expect_text).first().waitFor({ state: "visible" });
        } catch (error) {
          return done(`${where}: ${firstLine(error)}`);
        }
      }
      return done(null);
    } finally {
      await browser.close();
    }
  };
}

export function describeStep(step: BrowserStep): string {
  if ("goto" in step) return `goto ${step.goto}`;
  if ("click" in step) return `click ${step.click}`;
  return `expect_text ${JSON.stringify(step.expect_text)}`;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "failed";
}
