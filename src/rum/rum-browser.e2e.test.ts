import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { CHROMIUM } from "../checks/browser-probe.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import type { RumSummary } from "./rum.types.ts";

/** A page with a paint to measure (LCP, FCP), a button to press (INP) that throws (a JS error). */
const SERVER = `
import { createServer } from "node:http";
const page = \`<!doctype html><html><head><meta charset="utf-8"><title>shop</title></head>
<body><h1>Shop</h1><p>Everything for your garden, shipped tomorrow.</p>
<button id="buy" onclick="setTimeout(() => { throw new Error('checkout broke'); })">Buy</button></body></html>\`;
createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(page) });
  res.end(page);
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

describe("RUM in a real browser: a page served through rampart up's edge reports its web vitals under its release", {
  skip: existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (apt-get install chromium)`,
}, () => {
  let source: string;
  let project: TestProject;
  let up: RampartUp;
  let browser: Browser | undefined;

  before(async () => {
    source = mkdtempSync(join(tmpdir(), "rampart-rum-app-"));
    mkdirSync(source, { recursive: true });
    writeFileSync(join(source, "server.mjs"), SERVER);
    project = await createTestProject({ source, instances: 1, appYaml: "    rum: true" });
    up = await startRampartUp({ manifestPath: project.manifestPath, dataDir: project.dataDir });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], timeout: 30_000 });
  });
  after(async () => {
    await browser?.close();
    await killPlatform(project.dataDir, up);
    rmSync(source, { recursive: true, force: true });
  });

  it("LCP, INP, CLS, FCP, TTFB and the JS error arrive under the release that served the page", async () => {
    const release = await up.client.deploy("staging", "web");
    await waitForRelease(up.client, release, 90_000);
    assert.ok(browser);
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${project.ports.staging}/`);
    await page.waitForFunction(`"__rampartRum" in window`, undefined, { timeout: 15_000 });
    const errored = new Promise((resolve) => page.once("pageerror", resolve));
    await page.click("#buy");
    await errored;
    // The page goes to the background, as when the user switches tabs: web-vitals finalises LCP, CLS and INP then,
    // and the reporter sends its beacon.
    // A string: it runs in the page, whose DOM types this Node project does not compile against.
    const hide = () =>
      page.evaluate(`(() => {
      Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
      window.dispatchEvent(new Event("visibilitychange"));
    })()`);
    await hide();

    let summary: RumSummary | undefined;
    await waitFor(
      async () => {
        summary = await up.client.rum("staging", "web", { since: "5m" });
        const row = summary.releases[0];
        const all =
          row !== undefined &&
          row.lcp.count > 0 &&
          row.fcp.count > 0 &&
          row.ttfb.count > 0 &&
          row.cls.count > 0 &&
          row.inp.count > 0 &&
          row.jsErrors > 0;
        // The click's timing reaches web-vitals through a PerformanceObserver, after a paint: on a loaded machine that
        // can come after the page was hidden, and its INP then goes with the next hide, as it would in a real tab.
        if (!all && row !== undefined && row.inp.count === 0) await hide();
        return all ? true : undefined;
      },
      { timeoutMs: 30_000, onTimeout: () => new Error(`the page's beacon never arrived in full: ${JSON.stringify(summary)}`) },
    );
    const row = summary?.releases[0];
    assert.equal(summary?.releases.length, 1);
    assert.equal(row?.release, release.number);
    assert.ok(row && row.lcp.p75 !== null && row.lcp.p75 > 0 && row.lcp.p75 < 10_000, JSON.stringify(row));
    assert.ok(row.ttfb.p75 !== null && row.ttfb.p75 >= 0);
    // Nothing moved: every CLS report is 0 (the p75 is interpolated inside the first bucket).
    assert.ok(row.cls.p75 !== null && row.cls.p75 < 0.001, String(row.cls.p75));
    assert.equal(row.jsErrors, 1);
    assert.equal(row.inp.count, 1, "the click was an interaction");
    await page.close();

    const cli = runCli(["rum", "web", "--env", "staging", "--data", project.dataDir], { env: { RAMPART_API: "", RAMPART_TOKEN: "" } });
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /RELEASE\s+LCP P75\s+INP P75\s+CLS P75\s+FCP P75\s+TTFB P75\s+JS ERRORS\s+PAGES/);
    assert.match(cli.stdout, new RegExp(`\\n${release.number}\\s+\\d+ms`));
  });
});
