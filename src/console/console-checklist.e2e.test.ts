import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { ApiClient } from "../client/api-client.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
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
const VIEWER = { user: "vic", password: "viewer password 1" };

/**
 * The postmortem editor, the readiness checklist and the parity view, in Chromium against a real `rampart up`:
 * web runs in staging only, so production (protected, requiring an owner) is gated and differs from staging.
 */
describe("the console's postmortem, readiness and parity views in Chromium", () => {
  let rig: ConsoleRig;
  let admin: BrowserContext;
  let page: Page;
  let incident: number;

  before(async () => {
    rig = await startConsoleRig({
      project: {
        instances: 1,
        productionYaml: "readiness: { require: [health_check, no_secrets, owner] }",
        appYaml: ["    environments:", "      staging: { env: { LOG_LEVEL: debug } }"].join("\n"),
      },
    });
    const { up, project } = rig;
    await waitForRelease(up.client, await up.client.deploy("staging", "web"), 60_000);
    addUser(project.dataDir, ADMIN.user, ADMIN.password, [["admin", "*"]]);
    addUser(project.dataDir, VIEWER.user, VIEWER.password, [["viewer", "*"]]);
    incident = (await up.client.openIncident({ title: "checkout errors after a deploy", severity: 2, env: "staging", app: "web" })).id;
    admin = await rig.browser.newContext({ viewport: VIEWPORT });
    page = await admin.newPage();
    await logIn(page, rig.base, ADMIN.user, ADMIN.password);
  });
  after(async () => {
    await rig?.close();
  });

  it("edits the generated postmortem, shows the API's refusals, and saves it", async () => {
    const { up, base } = rig;
    await page.goto(`${base}/#/incidents/${incident}`);
    const editor = page.getByRole("region", { name: "Postmortem" });
    const summary = editor.getByLabel("Summary");
    // The generated, blameless draft is there to start from.
    assert.match(await summary.inputValue(), /SEV-2 "checkout errors after a deploy" affected web in staging/);
    assert.match((await editor.textContent()) ?? "", /Blameless: what in the system allowed this, not who/);
    await summary.fill("Checkout failed for some users for a few minutes after release 1 went out.");
    await editor.getByRole("button", { name: "Add an action item" }).click();
    await editor.getByLabel("Action item 1: what").fill("canary at 1% before 10% for checkout");
    // No owner yet: the API refuses, and the console says what it said.
    await editor.getByRole("button", { name: "Save postmortem" }).click();
    await editor.getByRole("alert").filter({ hasText: /owner/ }).waitFor();
    assert.equal((await up.client.postmortem(incident)).editedBy, null, "nothing was saved");
    await editor.getByLabel("Action item 1: owner").fill("team-web");
    await editor.getByRole("button", { name: "Save postmortem" }).click();
    await editor.getByText("No unsaved changes.").waitFor();
    const saved = await up.client.postmortem(incident);
    assert.equal(saved.summary, "Checkout failed for some users for a few minutes after release 1 went out.");
    assert.deepEqual(
      saved.actionItems.map((a) => [a.text, a.owner, a.done]),
      [["canary at 1% before 10% for checkout", "team-web", false]],
    );
    assert.equal(saved.editedBy, ADMIN.user);
    // An item already done when it is written down is ticked in the draft and saved with it.
    await editor.getByRole("button", { name: "Add an action item" }).click();
    await editor.getByLabel("Action item 2: what").fill("page the owner of a rolled-back release");
    await editor.getByLabel("Action item 2: owner").fill("team-sre");
    await editor.getByLabel("Action item 2: done").check();
    await editor.getByRole("button", { name: "Save postmortem" }).click();
    await editor.getByText("No unsaved changes.").waitFor();
    assert.deepEqual(
      (await up.client.postmortem(incident)).actionItems.map((a) => [a.text, a.done]),
      [
        ["canary at 1% before 10% for checkout", false],
        ["page the owner of a rolled-back release", true],
      ],
    );
    await editor.getByTestId("action-item-2").getByText("done", { exact: true }).waitFor();
    await shot(page, "postmortem");
  });

  it("refuses to overwrite a save made elsewhere meanwhile, then marks an action item done", async () => {
    const { up, base } = rig;
    await page.goto(`${base}/#/incidents/${incident}`);
    const editor = page.getByRole("region", { name: "Postmortem" });
    await editor.getByText("No unsaved changes.").waitFor();
    // Someone saves from the CLI's client just before ana starts typing. The page reads their save when it hears of
    // it; that read is held back here until she has typed, so its answer comes while she has unsaved text, which it
    // must not replace: the page says someone else saved instead (a read answered after typing began once wiped it).
    const postmortemUrl = `${base}/api/v1/incidents/${incident}/postmortem`;
    let readStarted = false;
    let releaseRead = (): void => undefined;
    const released = new Promise<void>((resolve) => {
      releaseRead = resolve;
    });
    await page.route(postmortemUrl, async (route) => {
      if (route.request().method() === "GET") {
        readStarted = true;
        await released;
      }
      await route.continue();
    });
    await up.client.editPostmortem(incident, { detection: "Found by a customer's report." });
    await waitFor(() => readStarted || undefined, {
      timeoutMs: 15_000,
      onTimeout: () => new Error("the page never read the postmortem after someone else saved it"),
    });
    const response = editor.getByLabel("Response");
    await response.fill("ana took command and rolled back.");
    releaseRead();
    await editor.getByText(/Someone else saved this postmortem while you were editing/).waitFor();
    await page.unroute(postmortemUrl);
    assert.equal(await response.inputValue(), "ana took command and rolled back.", "her text stays in the editor");
    await editor.getByRole("button", { name: "Save postmortem" }).click();
    await editor
      .getByRole("alert")
      .filter({ hasText: /after this edit began.*nothing was saved/ })
      .waitFor();
    assert.equal((await up.client.postmortem(incident)).detection, "Found by a customer's report.", "their text stays");
    await editor.getByRole("button", { name: "Load the saved version (drops your edits)" }).click();
    const detection = editor.getByLabel("Detection");
    await waitFor(async () => ((await detection.inputValue()) === "Found by a customer's report." ? true : undefined), {
      timeoutMs: 10_000,
    });
    await editor.getByRole("button", { name: "Mark item 1 done" }).click();
    await editor.getByTestId("action-item-1").getByText("done", { exact: true }).waitFor();
    assert.equal((await up.client.postmortem(incident)).actionItems[0]?.done, true);
  });

  it("shows the readiness checklist from the home table, with evidence and fixes, and overrides the gate with a reason", async () => {
    const { up, base } = rig;
    await page.goto(`${base}/#/`);
    await page.getByRole("link", { name: "Readiness checklist of web in production" }).click();
    await page.getByRole("heading", { name: /Readiness of web in production/ }).waitFor();
    assert.match(
      (await page.getByTestId("readiness-verdict").textContent()) ?? "",
      /Not ready.*owner.*first deploy of web to production is gated/s,
    );
    const owner = page.locator("tbody tr", { hasText: "Owner named" });
    assert.match((await owner.textContent()) ?? "", /fail.*required/s);
    const report = await up.client.readiness("production", "web");
    const fix = report.checks.find((c) => c.name === "owner")?.fix;
    assert.ok(fix, "the API names a fix for the missing owner");
    await owner.getByText(fix).waitFor();
    assert.equal(await page.locator("table.grid tbody tr").count(), report.checks.length, "one row per check");
    // Production is protected: ana's standing admin stops at reading there, and the button says how to get more.
    const override = page.getByRole("button", { name: "Override the readiness gate" });
    assert.equal(await override.getAttribute("aria-disabled"), "true");
    await override.click({ force: true });
    assert.match(
      (await page.getByRole("note").textContent()) ?? "",
      /ana lacks readiness.override in production.*rampart access request --role admin --env production/s,
    );
    // Just-in-time admin in production, approved by the data dir's local credentials. A grant ends the user's
    // sessions (what they may do changed), so ana logs in again.
    const session = await new ApiClient({ baseUrl: base, token: "" }).login(ADMIN.user, ADMIN.password);
    const request = await new ApiClient({ baseUrl: base, token: session.token }).requestAccess({
      role: "admin",
      env: "production",
      durationMs: 3_600_000,
      reason: "override web's readiness gate",
    });
    await up.client.reviewAccessRequest("production", request.id, "approve");
    await logIn(page, base, ADMIN.user, ADMIN.password);
    await page.goto(`${base}/#/readiness/production/web`);
    await page.getByLabel("Reason").fill("hotfix: checkout must ship tonight, owner named tomorrow");
    await override.click();
    const dialog = page.getByRole("dialog");
    assert.match((await dialog.textContent()) ?? "", /owner/);
    await dialog.getByRole("button", { name: "Override for web in production" }).click();
    await page
      .getByTestId("readiness-override")
      .getByText(/Overridden by ana/)
      .waitFor();
    const events = await up.client.events({ env: "production", type: "readiness.", limit: 10 });
    assert.ok(events.some((e) => e.type === "readiness.overridden" && e.actor === ADMIN.user));
    await shot(page, "readiness");
    // The app view links to it too.
    await page.goto(`${base}/#/apps/staging/web`);
    await page.getByRole("navigation", { name: "web views" }).getByRole("link", { name: "Readiness" }).click();
    await page.getByRole("heading", { name: /Readiness of web in staging/ }).waitFor();
  });

  it("puts staging and production side by side with the differences highlighted", async () => {
    const { up, base } = rig;
    await page.goto(`${base}/#/parity`);
    await page.getByRole("heading", { name: "Parity: staging against production" }).waitFor();
    const report = await up.client.parity({ from: "staging", to: "production" });
    const summary = (await page.getByTestId("parity-summary").textContent()) ?? "";
    assert.match(
      summary,
      new RegExp(`${report.summary.critical} critical, ${report.summary.warning} warning, ${report.summary.info} info`),
    );
    // Nothing runs in production yet: the live release row is the critical difference.
    const live = page.locator("table.sidebyside tr.drift-critical", { hasText: "Live release" });
    assert.match((await live.textContent()) ?? "", /#1.*absent.*critical/s);
    assert.equal(
      await page.getByRole("table", { name: "Differences between staging and production" }).locator("tbody tr").count(),
      Math.max(report.drifts.length, 1),
    );
    await shot(page, "parity");
  });

  it("shows a viewer the postmortem read-only, the save button disabled with the reason", async () => {
    const { base } = rig;
    await asUser(rig.browser, base, VIEWER, async (viewerPage) => {
      await viewerPage.goto(`${base}/#/incidents/${incident}`);
      const editor = viewerPage.getByRole("region", { name: "Postmortem" });
      const save = editor.getByRole("button", { name: "Save postmortem" });
      assert.equal(await save.getAttribute("aria-disabled"), "true");
      assert.match((await save.getAttribute("title")) ?? "", /vic lacks rollout.steer/);
      assert.match((await editor.getByTestId("postmortem-readonly").textContent()) ?? "", /vic lacks rollout.steer.*To get access: /s);
      assert.equal(await editor.getByLabel("Summary").getAttribute("readonly"), "");
      await save.click({ force: true });
      const why = (await editor.getByRole("note").filter({ hasText: "Not allowed" }).textContent()) ?? "";
      assert.match(why, /vic lacks rollout.steer.*To get access: .*rampart role grant vic \w+/s);
      await editor.evaluate((section) => section.scrollIntoView({ block: "start" }));
      await shot(viewerPage, "postmortem-viewer");
    });
  });

  it("has no serious accessibility violation in the three views, in the light and the dark theme", async () => {
    const { base } = rig;
    const views = [`incidents/${incident}`, "readiness/production/web", "parity"];
    const found: string[] = [];
    for (const theme of ["light", "dark"] as const) {
      await setTheme(page, theme);
      for (const view of views) {
        await openView(page, base, view);
        found.push(...(await seriousViolations(page, `${theme} #/${view}`)));
      }
    }
    await setTheme(page, "light");
    assert.deepEqual(found, []);
  });
});
