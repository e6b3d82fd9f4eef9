import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Locator, Page } from "playwright-core";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { FLAG_DURATION } from "../telemetry/metrics-flag.sink.ts";
import { startLoad } from "../testing/load-generator.ts";
import { secretHits } from "../testing/secret-scan.ts";
import {
  addUser,
  type ConsoleRig,
  logIn,
  openView,
  seriousViolations,
  setTheme,
  shot,
  startConsoleRig,
  VIEWPORT,
} from "./console-e2e-harness.ts";

const ADMIN = { user: "ana", password: "correct horse battery" };
const REQUESTS = 400;

/**
 * An app that names the variation of `checkout` serving each request in the x-rampart-flags header (what the SDK's
 * scope writes): every 4th request gets `on`, which is slower and fails one in five; the rest get `off`.
 */
const APP = `
import { createServer } from "node:http";
let n = 0;
let on = 0;
createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  if (n++ % 4 !== 0) {
    res.setHeader("x-rampart-flags", "checkout=off");
    return res.end("old checkout");
  }
  res.setHeader("x-rampart-flags", "checkout=on");
  const fail = on++ % 5 === 0;
  setTimeout(() => {
    res.statusCode = fail ? 500 : 200;
    res.end(fail ? "new checkout broke" : "new checkout");
  }, 20);
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

describe("the flag and metrics views in Chromium against a real rampart up", () => {
  let rig: ConsoleRig;
  let page: Page;
  const violations: string[] = [];
  /** What the SDK token could leak into: the answers, the pages and the flag's events (scanned at the end). */
  const seen: string[] = [];
  let sdkToken = "";

  before(async () => {
    const source = mkdtempSync(join(tmpdir(), "rampart-console-metrics-app-"));
    writeFileSync(join(source, "server.mjs"), APP);
    rig = await startConsoleRig({ project: { instances: 2, source, run: `${process.execPath} server.mjs` } });
    const { up, project, base, browser } = rig;
    await waitForRelease(up.client, await up.client.deploy("staging", "web"), 60_000);
    await up.client.createFlag({ key: "checkout", description: "the new checkout" });
    // A plan that stays on its first step: it holds 10 minutes and waits for more samples than the test sends.
    await up.client.planFlag("checkout", "staging", {
      steps: [5, 25, 50, 100],
      every: "10m",
      // Absolute ceilings the test's traffic stays under (a relative one would fail `on` at once: fail needs no minimum).
      guards: { errors: "50%", p99: "1s" },
      minSamples: 1_000_000,
    });
    // An experiment: the SDK's exposures of 40 users (every 4th gets `on`) and their purchases.
    ({ token: sdkToken } = await up.client.createSdkToken("staging"));
    const user = (i: number) => createHash("sha256").update(`user-${i}`).digest("hex").slice(0, 32);
    const atMs = Date.now();
    const users = Array.from({ length: 40 }, (_, i) => i);
    const sentEvents = await fetch(`${base}/api/v1/flags/sdk/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${sdkToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        exposures: users.map((i) => ({ flag: "checkout", variation: i % 4 === 0 ? "on" : "off", user: user(i), atMs })),
        events: users.filter((i) => i % 3 === 0).map((i) => ({ key: "purchase", user: user(i), atMs: atMs + 1, value: 10 })),
      }),
    });
    const answer = await sentEvents.text();
    assert.equal(sentEvents.status, 202, answer);
    seen.push(answer);
    const load = startLoad(`http://127.0.0.1:${project.ports.staging}/`, { concurrency: 2, maxRequests: REQUESTS, maxMs: 30_000 });
    await waitFor(async () => (load.current().sent >= REQUESTS ? true : undefined), { timeoutMs: 30_000 });
    const sent = (await load.stop()).sent;
    assert.equal(sent, REQUESTS);
    // The edge reports each second: wait until the API has counted every request, so the numbers stop moving.
    await waitFor(
      async () => ((await up.client.metrics("staging", "web", { since: "5m" })).total.requests === REQUESTS ? true : undefined),
      {
        timeoutMs: 15_000,
      },
    );
    await waitFor(async () => (sum(await variationCounts(rig)) === REQUESTS ? true : undefined), { timeoutMs: 15_000 });
    addUser(project.dataDir, ADMIN.user, ADMIN.password, [["admin", "*"]]);
    page = await (await browser.newContext({ viewport: VIEWPORT })).newPage();
    await logIn(page, base, ADMIN.user, ADMIN.password);
  });
  after(async () => {
    await rig?.close();
  });

  it("a flag's view: the rollout plan with its step and gate, and per-variation numbers equal to the API's", async () => {
    await openView(page, rig.base, "flag/checkout");
    const plan = page.getByTestId("plan-staging");
    assert.equal(await plan.locator("ol.steps li").count(), 4);
    assert.equal((await plan.locator('ol.steps li[aria-current="step"]').textContent())?.trim(), "5%");
    assert.match(
      (await page.getByTestId("plan-gate-staging").textContent()) ?? "",
      /^25% after 10m held \(\d+s left\).*errors.*on failure: pause/,
    );
    await page.getByTestId("flag-charts").waitFor();

    const api = await variationCounts(rig);
    const p99 = await rig.up.client.metricsQuery({
      metric: FLAG_DURATION,
      fn: "quantile",
      q: 0.99,
      by: "variation",
      filter: 'env="staging",flag="checkout"',
      from: Date.now() - 900_000,
      to: Date.now(),
    });
    const table = await tableRows(page.locator("table.grid").first());
    const row = (variation: string) =>
      table.find((r) => r[0] === variation) ?? assert.fail(`no row for ${variation} in ${JSON.stringify(table)}`);
    for (const variation of ["on", "off"]) {
      const requests = (api.get(`${variation}/ok`) ?? 0) + (api.get(`${variation}/error`) ?? 0);
      const errors = api.get(`${variation}/error`) ?? 0;
      assert.equal(Number(row(variation)[2]), requests, `${variation} requests`);
      assert.equal(row(variation)[4], `${((100 * errors) / requests).toFixed(2)}%`, `${variation} error %`);
      const apiP99 = (p99.series.find((s) => s.labels.variation === variation)?.points[0]?.[1] ?? Number.NaN) * 1000;
      assert.ok(Math.abs(Number.parseFloat(row(variation)[5] ?? "") - apiP99) <= 0.5, `${variation} p99 ${row(variation)[5]} vs ${apiP99}`);
    }
    // Each of the two instances tags every 4th of its requests `on` and fails every 5th of those.
    assert.ok(Math.abs(Number(row("on")[2]) - REQUESTS / 4) <= 2, `on requests ${row("on")[2]}`);
    assert.match(row("on")[4] ?? "", /^(19|2[0-3])\.\d\d%$/);
    assert.equal(row("off")[4], "0.00%");
    // The experiment's exposure and conversion, as its report has them.
    const report = await rig.up.client.flagReport("checkout", { env: "staging" });
    const today = report.results[0]?.days.at(-1)?.variations ?? [];
    assert.deepEqual(today.map((v) => [v.variation, v.exposed]).sort(), [
      ["off", 30],
      ["on", 10],
    ]);
    for (const v of today) {
      assert.equal(Number(row(v.variation)[6]), v.exposed, `${v.variation} exposed users`);
      assert.match(row(v.variation)[7] ?? "", new RegExp(`^${(100 * v.conversion.estimate).toFixed(1)}% \\[`), `${v.variation} conversion`);
    }
    await page.getByText("Experiment report", { exact: true }).click();
    assert.match((await page.locator("pre.report").textContent()) ?? "", /checkout/);
    assert.ok(await chartHasData(page, page.getByTestId("flag-charts").locator(".uplot").first()), "the requests/s chart shows points");
    assert.equal(await page.getByTestId("flag-charts").locator(".uplot").count(), 3);

    violations.push(...(await seriousViolations(page, "light #/flag/checkout")));
    seen.push(await page.content());
    await shot(page, "flag-detail");
  });

  it("an app's metrics view: charts split by instance, and a sortable instance table equal to the API's", async () => {
    await openView(page, rig.base, "metrics/staging/web");
    await page.getByTestId("metrics-charts").waitFor();
    await page.getByTestId("metrics-split").selectOption("instance");
    const charts = page.getByTestId("metrics-charts");
    const byInstance = async () =>
      (await charts.locator("figcaption").first().textContent())?.includes("by instance") && (await charts.locator(".uplot").count()) === 4;
    await waitFor(async () => ((await byInstance()) ? true : undefined), { timeoutMs: 10_000 });
    assert.ok(await chartHasData(page, charts.locator(".uplot").first()), "the requests/s chart shows points");
    const legend = await charts.locator(".uplot").first().locator(".u-legend .u-series:not(:first-child) .u-label").allTextContents();
    const summary = await rig.up.client.metrics("staging", "web", { by: "instance", since: "5m" });
    assert.deepEqual(legend.sort(), summary.rows.map((r) => r.key ?? "").sort(), "one line per instance");
    assert.equal(summary.rows.length, 2);

    const instances = page.locator("table.grid").last();
    const shown = await tableRows(instances);
    for (const r of summary.rows) {
      const cells = shown.find((c) => c[0] === r.key) ?? assert.fail(`no row for ${r.key}`);
      assert.equal(Number(cells[1]), r.requests, `${r.key} requests`);
      assert.equal(cells[3], `${r.errorPercent.toFixed(2)}%`, `${r.key} error %`);
      assert.match(cells[6] ?? "", /^\d+\.\d%$/, "CPU from the runtime samples");
      assert.match(cells[7] ?? "", /MiB|KiB|GiB/, "memory from the runtime samples");
    }
    assert.equal(summary.total.requests, REQUESTS);
    // Sorting by requests, both ways.
    await instances.getByRole("button", { name: "Requests" }).click();
    const ascending = (await tableRows(instances)).map((c) => Number(c[1]));
    assert.deepEqual(
      ascending,
      [...ascending].sort((a, b) => a - b),
    );
    await instances.getByRole("button", { name: "Requests" }).click();
    const descending = (await tableRows(instances)).map((c) => Number(c[1]));
    assert.deepEqual(descending, [...ascending].reverse());

    // Live: more traffic shows without a reload (the view reads its figures again every 5 s).
    const more = startLoad(`http://127.0.0.1:${rig.project.ports.staging}/`, { concurrency: 2, maxRequests: 100, maxMs: 20_000 });
    await waitFor(async () => (more.current().sent >= 100 ? true : undefined), { timeoutMs: 20_000 });
    await more.stop();
    await waitFor(
      async () => ((await page.getByTestId("metrics-total").textContent())?.includes(`${REQUESTS + 100} requests`) ? true : undefined),
      {
        timeoutMs: 20_000,
      },
    );

    violations.push(...(await seriousViolations(page, "light #/metrics/staging/web")));
    await shot(page, "metrics");
  });

  it("both views are reachable from the app, home and flags views, and pass axe in the dark theme too", async () => {
    await openView(page, rig.base, "apps/staging/web");
    await page.getByRole("link", { name: "Metrics" }).click();
    await page.getByTestId("metrics-charts").waitFor();
    await openView(page, rig.base, "");
    await page.locator('a[title="Metrics of web in staging"]').click();
    await page.getByTestId("metrics-charts").waitFor();
    await openView(page, rig.base, "flags");
    await page.getByRole("link", { name: "checkout", exact: true }).click();
    await page.getByTestId("plan-staging").waitFor();
    await setTheme(page, "dark");
    for (const view of ["flag/checkout", "metrics/staging/web"]) {
      await openView(page, rig.base, view);
      await page.locator("[data-testid$=-charts]").waitFor();
      violations.push(...(await seriousViolations(page, `dark #/${view}`)));
    }
    await setTheme(page, "light");
    // A switch with the header's button redraws the open charts in the new theme's colours, without a reload.
    await openView(page, rig.base, "metrics/staging/web");
    await page.locator('[data-testid="metrics-charts"] [role="img"][data-theme="light"]').first().waitFor();
    await page.getByRole("button", { name: "Switch to dark theme" }).click();
    await page.locator('[data-testid="metrics-charts"] [role="img"][data-theme="dark"]').first().waitFor();
    assert.equal(await page.locator('[data-testid="metrics-charts"] [role="img"][data-theme="light"]').count(), 0);
    await page.getByRole("button", { name: "Switch to light theme" }).click();
    assert.deepEqual(violations, []);
    seen.push(await page.content(), JSON.stringify(await rig.up.client.flagHistory("checkout")));
    assert.deepEqual(secretHits([sdkToken], seen), [], "the SDK token appears in no answer, page or event");
  });
});

/** `${variation}/${outcome}` → requests over the last 15 minutes, as the flag view reads them. */
async function variationCounts(rig: ConsoleRig): Promise<Map<string, number>> {
  const result = await rig.up.client.metricsQuery({
    metric: FLAG_DURATION,
    fn: "increase",
    by: "variation,outcome",
    filter: 'env="staging",flag="checkout"',
    from: Date.now() - 900_000,
    to: Date.now(),
  });
  return new Map(result.series.map((s) => [`${s.labels.variation}/${s.labels.outcome}`, Math.round(s.points[0]?.[1] ?? 0)]));
}

function sum(counts: Map<string, number>): number {
  return [...counts.values()].reduce((a, b) => a + b, 0);
}

async function tableRows(table: Locator): Promise<string[][]> {
  const rows: string[][] = [];
  for (const row of await table.locator("tbody tr").all()) rows.push((await row.locator("td").allTextContents()).map((t) => t.trim()));
  return rows;
}

/**
 * Whether the uPlot chart draws points: the cursor is moved across it, and its legend (live) shows the series'
 * value under the cursor; a chart without data shows "--" everywhere.
 */
async function chartHasData(page: Page, chart: Locator): Promise<boolean> {
  const over = chart.locator(".u-over");
  const box = await over.boundingBox();
  if (!box) return false;
  // From the right, where the test's traffic is: each step is narrower than one of the chart's 61 points.
  for (let i = 0; i < 150; i++) {
    await page.mouse.move(box.x + box.width - 1 - (box.width * i) / 150, box.y + box.height / 2);
    const values = await chart.locator(".u-legend .u-series:not(:first-child) .u-value").allTextContents();
    if (values.some((v) => /\d/.test(v))) return true;
  }
  return false;
}
