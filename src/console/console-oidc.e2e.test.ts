import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext } from "playwright-core";
import { ApiClient } from "../client/api-client.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { freePort } from "../testing/free-port.ts";
import { startTestProvider, type TestProvider } from "../testing/oidc-provider.fixture.ts";
import { killPlatform, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { fileTexts, filesUnder, secretHits } from "../testing/secret-scan.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { addUser, launchChromium, logIn, seriousViolations, shot, VIEWPORT } from "./console-e2e-harness.ts";

const CLI = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
const CLIENT_SECRET = `console-oidc-secret-${randomBytes(12).toString("hex")}`;
/** The provider's user: in group staging-devs, which rampart.yaml maps to developer in staging, and nothing else. */
const SSO_USER = "olga";
const ADMIN = { user: "ana", password: "correct horse battery" };
/** A developer in both environments: production is protected, so standing access there stops at viewer. */
const DEVELOPER = { user: "dev", password: "staple battery horse" };

/**
 * Not on startConsoleRig: the API's port must be known before rampart up starts, because the provider (started
 * first) must know the callback it may redirect to, and rampart.yaml must know the provider's issuer.
 */
describe("the console in Chromium: OpenID Connect login, a home scoped to what one may read, a developer and an admin", () => {
  let provider: TestProvider;
  let project: TestProject;
  let up: RampartUp;
  let browser: Browser;
  let base: string;
  let callback: string;
  /** The provider's redirect back to Rampart, as the browser followed it (to replay it). */
  let usedCallback = "";
  let ssoCookie = "";
  const texts: string[] = [];
  const contexts: BrowserContext[] = [];
  const newPage = async () => {
    const context = await browser.newContext({ viewport: VIEWPORT });
    contexts.push(context);
    return { context, page: await context.newPage() };
  };

  before(async () => {
    // The API's port is chosen first: the provider must know the callback it may redirect to.
    const apiPort = await freePort();
    base = `http://127.0.0.1:${apiPort}`;
    callback = `${base}/api/v1/auth/oidc/callback`;
    provider = await startTestProvider({
      clients: [{ id: "rampart", secret: CLIENT_SECRET, redirectUri: callback }],
      groups: { [SSO_USER]: ["staging-devs"] },
    });
    project = await createTestProject({
      instances: 1,
      appYaml: [
        "access:",
        "  oidc:",
        `    issuer: ${provider.issuer}`,
        "    client_id: rampart",
        "    client_secret_env: RAMPART_TEST_OIDC_SECRET",
        "    scopes: [groups]",
        "    roles:",
        "      staging-devs: [{ role: developer, env: staging }]",
      ].join("\n"),
    });
    up = await startRampartUp({
      ...project,
      command: {
        argv: [process.execPath, CLI, "up", "--config", project.manifestPath, "--data", project.dataDir, "--api", `127.0.0.1:${apiPort}`],
        cwd: null,
      },
      addEnv: { RAMPART_TEST_OIDC_SECRET: CLIENT_SECRET },
      timeoutMs: 90_000,
    });
    assert.equal(up.client.baseUrl, base);
    // A live release in each environment (the rollback buttons are about the live one).
    await Promise.all(
      ["staging", "production"].map(async (where) => waitForRelease(up.client, await up.client.deploy(where, "web"), 60_000)),
    );
    addUser(project.dataDir, ADMIN.user, ADMIN.password, [["admin", "*"]]);
    addUser(project.dataDir, DEVELOPER.user, DEVELOPER.password, [
      ["developer", "staging"],
      ["developer", "production"],
    ]);
    browser = await launchChromium();
  });
  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await killPlatform(project.dataDir, up);
    await provider?.close();
  });

  it("logs in through the SSO button, the provider's login and consent pages, as the provider's user with the mapped role", async () => {
    const { context, page } = await newPage();
    page.on("request", (request) => {
      if (request.url().startsWith(`${callback}?`)) usedCallback = request.url();
    });
    await page.goto(base);
    await page.getByRole("link", { name: "Log in with single sign-on (OpenID Connect)" }).click();
    // The provider's own pages (oidc-provider's development login and consent), filled in as a person would.
    await page.waitForURL((url) => url.origin === provider.issuer);
    await page.getByPlaceholder("Enter any login").fill(SSO_USER);
    await page.getByPlaceholder("and password").fill("any password");
    await shot(page, "oidc-provider-login");
    await page.getByRole("button", { name: "Sign-in" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    // Back in the console, logged in as the provider's user, with the role its group maps to.
    await page.waitForURL((url) => url.origin === base);
    await page.getByRole("button", { name: "Log out" }).waitFor({ timeout: 15_000 });
    assert.match(usedCallback, /[?&]code=/);
    assert.match((await page.locator("header.top .who").textContent()) ?? "", new RegExp(`${SSO_USER} \\(developer@staging\\)`));
    const cookie = (await context.cookies(base)).find((c) => c.name === "rampart_session");
    assert.ok(cookie, "a session cookie");
    assert.equal(cookie.httpOnly, true);
    ssoCookie = cookie.value;
    const whoami = await new ApiClient({ baseUrl: base, token: ssoCookie }).whoami();
    assert.equal(whoami.actor, SSO_USER);
    assert.deepEqual(whoami.grants, [{ role: "developer", env: "staging" }]);
    const users = await up.client.users();
    assert.ok(
      users.some((u) => u.name === SSO_USER),
      "recorded as a user",
    );
  });

  it("shows the SSO user (developer in staging only) a home with staging alone, and production named with the command to see it", async () => {
    const page = contexts[0]?.pages()[0];
    assert.ok(page);
    await page.goto(`${base}/#/`);
    const rows = page.locator("table.grid tbody tr");
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);
    assert.match((await rows.first().textContent()) ?? "", /staging.*web.*#1/);
    const note = (await page.getByTestId("hidden-environments").textContent()) ?? "";
    assert.match(note, /Not shown: production/);
    assert.match(note, /olga lacks read in production/);
    assert.match(note, /rampart access request --role viewer --env production/);
    // Staging's rollback is theirs to use; production's is not on the page.
    await page.goto(`${base}/#/apps/staging/web`);
    const rollback = page.getByRole("button", { name: "Roll back to the previous release" });
    assert.equal(await rollback.getAttribute("aria-disabled"), "false");
    assert.equal(await page.getByRole("button", { name: /Promote .* to production/ }).count(), 0, "production is not offered");
    await page.goto(`${base}/#/`);
    await rows.first().waitFor();
    await shot(page, "home-scoped");
    assert.deepEqual(await seriousViolations(page, "home (scoped)"), []);
    // The API itself answers the same: status and overview with staging only, 403 from production's own routes.
    const sso = new ApiClient({ baseUrl: base, token: ssoCookie });
    const status = await sso.status();
    assert.deepEqual(
      status.environments.map((e) => e.name),
      ["staging"],
    );
    const overview = await sso.overview();
    assert.deepEqual([...new Set(overview.rows.map((r) => r.env))], ["staging"]);
    assert.deepEqual(overview.hidden, ["production"]);
    assert.ok(
      overview.changes.every((e) => e.env === "staging"),
      "no production change",
    );
    await assert.rejects(sso.releases("production", "web"), /olga lacks permission read in production/);
    // The event log and its stream too: the console's live updates reach them, with staging's events only.
    const events = await sso.events({ limit: 500 });
    assert.ok(events.length > 0 && events.every((e) => e.env === "staging"), "staging's events only");
    await page.getByText("● live").waitFor();
    texts.push(JSON.stringify(status), JSON.stringify(overview));
  });

  it("logs the SSO user out: the session ends on the server, and the console asks to log in again", async () => {
    const page = contexts[0]?.pages()[0];
    assert.ok(page);
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("button", { name: "Log in", exact: true }).waitFor();
    const whoami = await fetch(`${base}/api/v1/auth/whoami`, { headers: { cookie: `rampart_session=${ssoCookie}` } });
    assert.equal(whoami.status, 401, "the old session cookie no longer works");
    await page.reload();
    await page.getByRole("button", { name: "Log in", exact: true }).waitFor();
  });

  it("refuses the provider's callback URL replayed, with a page that says why and the way back", async () => {
    assert.ok(usedCallback, "the first test saw the callback");
    const { context, page } = await newPage();
    const answer = await page.goto(usedCallback);
    assert.equal(answer?.status(), 400);
    await page.getByRole("heading", { name: "Single sign-on login refused" }).waitFor();
    assert.match((await page.locator("#reason").textContent()) ?? "", /already used or expired \(a replayed or forged callback\?\)/);
    assert.match((await page.locator("#hint").textContent()) ?? "", /start the login again/);
    assert.equal((await context.cookies(base)).filter((c) => c.name === "rampart_session").length, 0, "no session from a replay");
    await shot(page, "oidc-replay-refused");
    assert.deepEqual(await seriousViolations(page, "replayed callback page"), []);
    texts.push((await page.content()) ?? "");
    await page.getByRole("link", { name: "Back to the console's login page" }).click();
    await page.getByRole("button", { name: "Log in", exact: true }).waitFor();
  });

  it("logs in a developer with a password: staging is theirs, production's rollback says why and which access request to run", async () => {
    const { page } = await newPage();
    await logIn(page, base, DEVELOPER.user, DEVELOPER.password);
    const rows = page.locator("table.grid tbody tr");
    await waitFor(async () => ((await rows.count()) === 2 ? true : undefined), { timeoutMs: 10_000 });
    assert.equal(await page.getByTestId("hidden-environments").count(), 0, "a viewer in production sees it");
    await page.goto(`${base}/#/apps/staging/web`);
    assert.equal(await page.getByRole("button", { name: "Roll back to the previous release" }).getAttribute("aria-disabled"), "false");
    await page.goto(`${base}/#/apps/production/web`);
    const rollback = page.getByRole("button", { name: "Roll back to the previous release" });
    assert.equal(await rollback.getAttribute("aria-disabled"), "true");
    await rollback.click({ force: true });
    const why = (await page.getByRole("note").textContent()) ?? "";
    assert.match(why, /dev lacks rollback in production/);
    assert.match(why, /production is protected: standing access stops at viewer/);
    assert.match(why, /rampart access request --role \w+ --env production --for 1h/);
    assert.equal(await page.getByRole("dialog").count(), 0, "nothing to confirm: nothing was sent");
    await shot(page, "developer-production");
    await page.goto(`${base}/#/audit`);
    await page.getByText("lacks audit.read").waitFor();
  });

  it("logs in an admin with a password: every environment, the audit log, staging's actions", async () => {
    const { page } = await newPage();
    await logIn(page, base, ADMIN.user, ADMIN.password);
    assert.match((await page.locator("header.top .who").textContent()) ?? "", /ana \(admin\)/);
    const rows = page.locator("table.grid tbody tr");
    await waitFor(async () => ((await rows.count()) === 2 ? true : undefined), { timeoutMs: 10_000 });
    await page.goto(`${base}/#/audit`);
    await page.locator("main table tbody tr").first().waitFor();
    assert.equal(await page.getByText("lacks audit.read").count(), 0);
    await page.goto(`${base}/#/apps/staging/web`);
    assert.equal(await page.getByRole("button", { name: "Roll back to the previous release" }).getAttribute("aria-disabled"), "false");
    assert.equal(await page.getByRole("button", { name: "Promote #1 to production" }).getAttribute("aria-disabled"), "true");
  });

  it("never puts the client secret or the session token in what it served, its output or its data dir", () => {
    const haystacks = [...texts, up.output(), ...fileTexts(filesUnder(project.dataDir))];
    assert.deepEqual(secretHits([CLIENT_SECRET, ssoCookie], haystacks), []);
  });
});
