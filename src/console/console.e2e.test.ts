import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ApiClient } from "../client/api-client.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { startLoad } from "../testing/load-generator.ts";
import type { RampartUp } from "../testing/rampart-process.ts";
import type { TestProject } from "../testing/test-project.ts";
import {
  asUser,
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
const DEVELOPER = { user: "dev", password: "staple battery horse" };

describe("the console in Chromium against a real rampart up", () => {
  const receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200).end());
  });
  let rig: ConsoleRig;
  let project: TestProject;
  let up: RampartUp;
  let browser: Browser;
  let base: string;
  let admin: BrowserContext;
  let page: Page;
  let oncall: string;

  before(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/page`;
    // A critical rule that holds as soon as the app runs: an alert to acknowledge without causing a fault.
    oncall = [
      "oncall:",
      `  people: { ana: { webhook: "${hook}" } }`,
      "  schedules:",
      '    primary: { time_zone: UTC, rotation: { every: day, handoff: "09:00", people: [ana] } }',
      '  escalation: { default: [ { notify: "schedule:primary", wait: 5m } ] }',
    ].join("\n");
    rig = await startConsoleRig({
      project: {
        instances: 1,
        appYaml: ["    alerts:", '      - { name: always_on_fire, expr: "instances > 0", severity: critical }', oncall].join("\n"),
      },
      env: { RAMPART_ALERTS_INTERVAL: "1s" },
    });
    ({ project, up, browser, base } = rig);
    await waitForRelease(up.client, await up.client.deploy("staging", "web"), 60_000);
    project.touchSource("2");
    await waitForRelease(up.client, await up.client.deploy("staging", "web"), 60_000);
    await waitForRelease(up.client, await up.client.deploy("production", "web"), 60_000);
    addUser(project.dataDir, ADMIN.user, ADMIN.password, [["admin", "*"]]);
    addUser(project.dataDir, DEVELOPER.user, DEVELOPER.password, [["developer", "staging"]]);
    admin = await browser.newContext({ viewport: VIEWPORT });
    page = await admin.newPage();
  });
  after(async () => {
    await rig?.close();
    receiver.close();
  });

  it("logs in with a password and shows every app on one dense home view that updates live", async () => {
    await logIn(page, base, ADMIN.user, ADMIN.password);
    const rows = page.locator("table.grid tbody tr");
    await waitFor(async () => ((await rows.count()) === 2 ? true : undefined), { timeoutMs: 10_000 });
    assert.match((await page.locator("header.top").textContent()) ?? "", /ana \(admin\)/);
    // A deploy made elsewhere (the CLI) shows without a reload: the event stream brings it.
    const production = page.locator("tbody tr", { hasText: "production" });
    assert.match((await production.textContent()) ?? "", /#1/);
    project.touchSource("3");
    await waitForRelease(up.client, await up.client.deploy("production", "web"), 60_000);
    await production.getByText("#2", { exact: true }).waitFor({ timeout: 10_000 });
    await shot(page, "home");
  });

  it("rolls back a release from the app's releases, after a confirmation that names both releases", async () => {
    await page.goto(`${base}/#/apps/staging/web`);
    await page.getByRole("button", { name: "Roll back to #1" }).click();
    const dialog = page.getByRole("dialog");
    assert.match((await dialog.textContent()) ?? "", /staging now serves release #2.*release #1/s);
    await shot(page, "rollback-confirm");
    await dialog.getByRole("button", { name: "Roll back staging to #1" }).click();
    const rollback = await waitFor(
      async () => (await up.client.releases("staging", "web")).find((r) => r.rollbackOf === 1 && r.status === "live"),
      { timeoutMs: 60_000 },
    );
    await page.getByText(`rollback to #1`).first().waitFor();
    const events = await up.client.events({ env: "staging", type: "release.", limit: 50 });
    assert.ok(
      events.some((e) => e.release === rollback.number && e.actor === ADMIN.user),
      "recorded as ana's",
    );
    await shot(page, "app");
  });

  it("flips a flag in one environment", async () => {
    await up.client.createFlag({ key: "new-checkout", description: "the new checkout page" });
    await page.goto(`${base}/#/flags`);
    const cell = page.getByTestId("flag-new-checkout-staging");
    await cell.getByRole("button", { name: "Turn on in staging" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Turn on in staging" }).click();
    await cell.getByText("ON", { exact: true }).waitFor();
    const flag = await up.client.flag("new-checkout", "staging");
    assert.equal(flag.environments.find((e) => e.env === "staging")?.enabled, true);
    await shot(page, "flags");
  });

  it("acknowledges a firing alert: its escalation stops, by the person who clicked", async () => {
    const fingerprint = await waitFor(
      async () => (await up.client.escalations()).find((e) => e.alertname === "always_on_fire" && e.status === "paging")?.fingerprint,
      { timeoutMs: 60_000 },
    );
    await page.goto(`${base}/#/alerts`);
    await page.getByRole("button", { name: "Acknowledge" }).first().click();
    await waitFor(
      async () => (await up.client.escalations(true)).find((e) => e.fingerprint === fingerprint && e.status === "acknowledged"),
      { timeoutMs: 10_000 },
    );
    const acked = (await up.client.escalations(true)).find((e) => e.fingerprint === fingerprint);
    assert.equal(acked?.endedBy, ADMIN.user);
    await page.getByText(`acknowledged by ${ADMIN.user}`).first().waitFor();
    await shot(page, "alerts");
  });

  it("approves a just-in-time access request; the requester's open console says their session ended and why", async () => {
    await asUser(browser, base, DEVELOPER, async (devPage) => {
      const anonymous = new ApiClient({ baseUrl: base, token: "" });
      const session = await anonymous.login(DEVELOPER.user, DEVELOPER.password);
      const dev = new ApiClient({ baseUrl: base, token: session.token });
      const request = await dev.requestAccess({ role: "operator", env: "production", durationMs: 3_600_000, reason: "roll back web" });
      await page.goto(`${base}/#/access`);
      const row = page.locator("tbody tr", { hasText: `#${request.id}` });
      await row.getByRole("button", { name: "Approve" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Grant operator in production" }).click();
      await row.getByText("approved").waitFor();
      assert.equal((await up.client.accessRequest(request.id)).state, "approved");
      await shot(page, "access");
      // The grant is a privilege change: the developer's sessions end (a new id on each). Their next view says so.
      await devPage.goto(`${base}/#/events`);
      const notice = (await devPage.getByTestId("session-ended").textContent()) ?? "";
      assert.match(notice, new RegExp(`your access request ${request.id} was granted \\(operator in production until`));
      assert.match(notice, /log in again/);
      await devPage.getByRole("button", { name: "Log in" }).waitFor();
    });
  });

  it("shows a developer why a button is not theirs, and the command that gets access", async () => {
    await asUser(browser, base, DEVELOPER, async (devPage) => {
      await devPage.goto(`${base}/#/apps/staging/web`);
      const allowed = devPage.getByRole("button", { name: "Roll back to the previous release" });
      assert.equal(await allowed.getAttribute("aria-disabled"), "false", "a developer rolls back staging");
      // The approved request gave dev operator in production for an hour, so ask about something operator lacks.
      await devPage.goto(`${base}/#/audit`);
      await devPage.getByText("lacks audit.read").waitFor();
    });
    addUser(project.dataDir, "vic", "viewer password 1", [["viewer", "*"]]);
    await asUser(browser, base, { user: "vic", password: "viewer password 1" }, async (viewerPage) => {
      await viewerPage.goto(`${base}/#/apps/production/web`);
      const rollback = viewerPage.getByRole("button", { name: "Roll back to the previous release" });
      assert.equal(await rollback.getAttribute("aria-disabled"), "true");
      await rollback.click({ force: true });
      const why = (await viewerPage.getByRole("note").textContent()) ?? "";
      assert.match(why, /vic lacks rollback in production/);
      assert.match(why, /rampart access request --role \w+ --env production/);
      assert.equal(await viewerPage.getByRole("dialog").count(), 0, "nothing to confirm: nothing was sent");
      await shot(viewerPage, "forbidden");
    });
  });

  it("follows a bad canary on its rollout chart until it is rolled back by itself", async () => {
    // A canary in staging that fails 20% of its requests. The always-firing rule goes (the manifest is read again at
    // the deploy): with the canary's release in its labels it would fire anew and abort the canary before the
    // analysis judged it, and this test is about the analysis on the chart.
    project.writeManifest(
      [
        "    release: { strategy: canary, steps: [10, 50, 100], pause: 2s }",
        "    environments:",
        "      staging: { env: { TEST_MODE: errors } }",
        oncall,
      ].join("\n"),
    );
    project.touchSource("bad");
    const load = startLoad(`http://127.0.0.1:${project.ports.staging}/`, { concurrency: 2, maxMs: 60_000 });
    try {
      const release = await up.client.deploy("staging", "web");
      await page.goto(`${base}/#/rollouts/staging/web`);
      await page.getByRole("heading", { name: `Rollout of web in staging: release #${release.number}` }).waitFor({ timeout: 30_000 });
      await page.locator("figure.chart canvas").first().waitFor({ timeout: 30_000 });
      await page.getByTestId("rollout-state").getByText("rolled_back").waitFor({ timeout: 45_000 });
      assert.match((await page.getByTestId("rollout-verdict").textContent()) ?? "", /^fail/);
      assert.ok((await page.locator("figure.chart").count()) >= 1, "a chart per guard");
      await shot(page, "rollout");
    } finally {
      await load.stop();
    }
  });

  it("has no serious accessibility violation in any view, in the light and the dark theme", async () => {
    const views = [
      "",
      "apps/staging/web",
      "rollouts/staging/web",
      "alerts",
      "incidents",
      "flags",
      "access",
      "events",
      "audit",
      "logs/staging/web",
    ];
    const found: string[] = [];
    // Every view in the light theme; the dark theme's colours on the views with the most kinds of element.
    for (const [theme, checked] of [
      ["light", views],
      ["dark", ["", "apps/staging/web", "alerts", "flags"]],
    ] as const) {
      await setTheme(page, theme);
      for (const view of checked) {
        await openView(page, base, view);
        found.push(...(await seriousViolations(page, `${theme} #/${view}`)));
      }
    }
    await page.goto(`${base}/#/`);
    await page.locator("table.grid tbody tr").first().waitFor();
    await shot(page, "home-dark");
    await setTheme(page, "light");
    assert.deepEqual(found, []);
  });
});
