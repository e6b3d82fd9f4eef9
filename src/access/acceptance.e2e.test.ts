import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EXIT_CHAIN_BROKEN } from "../audit/audit.cli.ts";
import { readCredentials } from "../daemon/credentials.ts";
import type { RampartEvent } from "../events/event.types.ts";
import { waitFor } from "../shared/wait.ts";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { filesUnder, fileTexts, secretHits, scannedCaller } from "../testing/secret-scan.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";

// The CLI must find the platform through --data alone (and act as RAMPART_TOKEN when a test sets it).
delete process.env.RAMPART_API;
delete process.env.RAMPART_TOKEN;
delete process.env.RAMPART_DATA;

// No minimum duration in the policy: a short grant keeps the expiry check quick.
const ACCESS_YAML = `access:
  requests:
    production: { roles: [operator], approvers: { roles: [operator, admin] }, approvals: 1, max_duration: 1h }
`;
// Long enough for the CLI deploy that uses it on a loaded machine (each CLI run starts Node: seconds under load).
const GRANT_SECONDS = 20;

const DANA_PASSWORD = "dana-correct-horse-battery";
const OMAR_PASSWORD = "omar-correct-horse-battery";
const WRONG_PASSWORD = "not-danas-password-at-all";

/**
 * Issue 12's "How it will be checked", end to end through a real `rampart up`, with users and tokens the test
 * creates: a developer, a CI service token, a just-in-time grant, the audit chain against sqlite3, and a scan of
 * everything the platform said or stored for every secret it handed out.
 */
describe("issue 12 acceptance through a real rampart up", () => {
  let project: TestProject;
  let up: RampartUp;
  /** Every token, session id and password handed out or typed; none may appear anywhere else. */
  const secrets = new Set<string>([DANA_PASSWORD, OMAR_PASSWORD, WRONG_PASSWORD]);
  /** Every response body and CLI output, except the one answer that hands a secret out. */
  const seen: string[] = [];
  const root = () => readCredentials(project.dataDir)?.token ?? assert.fail("credentials.json");

  const cli = (args: string[], options: { token?: string; input?: string; handsOut?: boolean } = {}) => {
    const env = options.token === undefined ? undefined : { RAMPART_TOKEN: options.token };
    const result = runCli([...args, "--data", project.dataDir], { cwd: project.dir, env, input: options.input });
    if (!options.handsOut) seen.push(result.stdout);
    seen.push(result.stderr);
    return result;
  };
  const api = scannedCaller(() => up.client.baseUrl, seen);
  /** `rampart token create …` as local: the first line is the token, shown once. */
  const createToken = (args: string[]) => {
    const created = cli(["token", "create", ...args], { handsOut: true });
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.split("\n")[0] ?? "";
    assert.match(token, /^rampart_(pat|svc)_/);
    secrets.add(token);
    return token;
  };
  const login = async (user: string, password: string) => {
    const answer = await api("POST", "/api/v1/auth/login", { body: { user, password }, handsOut: true });
    if (answer.status === 200) secrets.add(String(answer.json().token));
    return answer;
  };
  const events = async (type: string): Promise<RampartEvent[]> =>
    (await api("GET", `/api/v1/events?type=${type}&limit=1000`, { token: root() })).json().events as RampartEvent[];

  let dana = "";
  let omar = "";
  let ci = "";

  before(async () => {
    project = await createTestProject({ instances: 1, appYaml: ACCESS_YAML });
    up = await startRampartUp(project);
    // People and a CI token, created as an admin would, with the commands the issue names.
    for (const [name, password] of [
      ["dana", DANA_PASSWORD],
      ["omar", OMAR_PASSWORD],
    ] as const) {
      const added = cli(["user", "add", name, "--email", `${name}@example.com`, "--password-stdin"], { input: `${password}\n` });
      assert.equal(added.code, 0, added.stderr);
    }
    for (const [user, role, env] of [
      ["dana", "developer", "staging"],
      ["dana", "developer", "production"],
      ["omar", "operator", "production"],
    ] as const)
      assert.equal(cli(["role", "grant", user, role, "--env", env]).code, 0);
    dana = createToken(["--name", "dana-laptop", "--user", "dana", "--expires", "1d"]);
    omar = createToken(["--name", "omar-laptop", "--user", "omar", "--expires", "1d"]);
    ci = createToken(["--name", "ci", "--role", "deployer", "--env", "production", "--expires", "30d"]);
  });
  after(async () => {
    await killPlatform(project.dataDir, up);
    rmSync(project.dir, { recursive: true, force: true });
  });

  it("1. a developer deploys to staging and gets a clear 403 for production, naming the permission and the command", async () => {
    const staging = cli(["deploy", "web", "--env", "staging", "--wait"], { token: dana });
    assert.equal(staging.code, 0, staging.stderr);

    const production = cli(["deploy", "web", "--env", "production"], { token: dana });
    assert.notEqual(production.code, 0, production.stdout);
    assert.match(production.stderr, /dana lacks permission deploy in production/);
    // The policy lets only operator be requested in production: the command named is one it would accept.
    assert.match(production.stderr, /rampart access request --role operator --env production --for 1h --reason/);

    const answer = await api("POST", "/api/v1/envs/production/apps/web/releases", { token: dana, body: {} });
    assert.equal(answer.status, 403, answer.text);
    const error = answer.json().error as { code: string; message: string; hint: string; details: { permission: string } };
    assert.deepEqual([error.code, error.details.permission], ["forbidden", "deploy"]);
    assert.match(error.hint, /^rampart access request --role operator --env production/);
  });

  it("2. a CI service token deploys to production and can do nothing else", async () => {
    const deployed = cli(["deploy", "web", "--env", "production", "--wait"], { token: ci });
    assert.equal(deployed.code, 0, deployed.stderr);
    const refused: Array<[string[], RegExp]> = [
      [["logs", "web", "--env", "production"], /svc:ci lacks permission logs\.read in production/],
      [["flags", "create", "checkout-v2", "--env", "production"], /svc:ci lacks permission flags\.write/],
      [["deploy", "web", "--env", "staging"], /svc:ci lacks permission deploy in staging/],
      [["user", "list"], /svc:ci lacks permission users\.manage in every environment/],
      [["secrets", "list", "web", "--env", "production"], /svc:ci lacks permission secrets\.list in production/],
      [["audit"], /svc:ci lacks permission audit\.read/],
    ];
    for (const [args, message] of refused) {
      const result = cli(args, { token: ci });
      assert.notEqual(result.code, 0, `${args.join(" ")}: ${result.stdout}`);
      assert.match(result.stderr, message, args.join(" "));
      // A token cannot ask for access: the way to the permission is another token, made by an admin.
      assert.match(result.stderr, /ask an admin for a token that has it: rampart token create --name ci --role \w+ --env /, args.join(" "));
    }
    // The same over HTTP: every one a 403, not a 401, 404 or 5xx.
    for (const [method, path] of [
      ["GET", "/api/v1/envs/production/apps/web/logs"],
      ["POST", "/api/v1/envs/staging/apps/web/releases"],
      ["GET", "/api/v1/users"],
    ] as const) {
      const answer = await api(method, path, { token: ci, body: method === "POST" ? {} : undefined });
      assert.equal(answer.status, 403, `${method} ${path}: ${answer.text}`);
    }
  });

  it("3. a JIT request the requester cannot approve, approved by another user, used, refused again within 2 s of its expiry", async () => {
    // dana holds a console session before the grant: a privilege change must give her a new id (ADR 12).
    const before = await login("dana", DANA_PASSWORD);
    assert.equal(before.status, 200, before.text);
    const session = String(before.json().token);

    const asked = cli(
      ["access", "request", "--role", "operator", "--env", "production", "--for", `${GRANT_SECONDS}s`, "--reason", "INC-7 checkout errors"],
      { token: dana },
    );
    assert.equal(asked.code, 0, asked.stderr);
    const id = Number(/access request (\d+)/.exec(asked.stdout)?.[1] ?? assert.fail(asked.stdout));

    // dana cannot approve her own request: she is no approver of production (and the service refuses self-approval
    // even to one who is, access-requests.e2e.test.ts).
    const self = cli(["access", "approve", String(id)], { token: dana });
    assert.notEqual(self.code, 0, "the requester cannot approve");
    assert.match(self.stderr, /dana lacks permission access\.approve in production/);
    const pending = await api("GET", `/api/v1/access/requests/${id}`, { token: dana });
    assert.equal(pending.json().state, "pending", pending.text);

    const approved = cli(["access", "approve", String(id), "--reason", "on call, go"], { token: omar });
    assert.equal(approved.code, 0, approved.stderr);
    const [granted] = (await events("access.granted")).filter((e) => e.data.id === id);
    assert.ok(granted, "access.granted recorded");
    assert.equal(granted.actor, "omar");
    const until = Number(granted.data.until);

    // Used: a production deploy, as dana, through the CLI.
    const used = cli(["deploy", "web", "--env", "production"], { token: dana });
    assert.equal(used.code, 0, used.stderr);
    assert.ok(Date.now() < until, "the deploy ran while the grant held");
    const old = await api("GET", "/api/v1/auth/whoami", { cookie: `rampart_session=${session}` });
    assert.equal(old.status, 401, "the session held before the grant is no longer valid");
    const deploys = (await events("audit.request")).filter(
      (e) => e.actor === "dana" && e.data.route === "/api/v1/envs/:env/apps/:app/releases",
    );
    assert.ok(
      deploys.some((e) => e.data.phase === "outcome" && Number(e.data.status) < 300),
      "the deploy's outcome is in the audit log as dana's",
    );

    // Then refused again: steering a production rollout (rollout.steer) is above dana's capped standing role.
    let lastAllowed = 0;
    const refusedAt = await waitFor(
      async () => {
        const answer = await api("POST", "/api/v1/envs/production/apps/web/rollout/pause", { token: dana, body: {} });
        if (answer.status !== 403) {
          lastAllowed = Date.now();
          return undefined;
        }
        return Date.now();
      },
      { timeoutMs: (GRANT_SECONDS + 10) * 1000, intervalMs: 100 },
    );
    const late = refusedAt - until;
    process.stdout.write(`# JIT grant ${id}: last allowed ${lastAllowed - until} ms, first refused ${late} ms after its time\n`);
    assert.ok(lastAllowed > 0 && lastAllowed <= until + 1000, "allowed while the grant held");
    assert.ok(late <= 2000, `refused ${late} ms after expiry`);
    const again = cli(["deploy", "web", "--env", "production"], { token: dana });
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /dana lacks permission deploy in production[\s\S]*rampart access request/);
    const expired = (await events("access.expired")).find((e) => e.data.id === id) ?? assert.fail("access.expired");
    assert.ok(expired.at - until < 1000, `access.expired ${expired.at - until} ms after its time`);
  });

  it("logins, failed and successful, are in the audit log with actor, address and outcome, never the password", async () => {
    assert.equal((await login("dana", WRONG_PASSWORD)).status, 401);
    assert.equal((await login("omar", OMAR_PASSWORD)).status, 200);
    const audit = (await api("GET", "/api/v1/audit?type=audit.request&limit=10000", { token: root() })).json().events as RampartEvent[];
    const logins = audit.filter((e) => e.data.route === "/api/v1/auth/login" && e.data.phase === "outcome");
    const outcome = (actor: string, status: number) => logins.find((e) => e.actor === actor && e.data.status === status);
    assert.equal(outcome("dana", 401)?.data.error, "unauthorized", JSON.stringify(logins));
    assert.equal(outcome("omar", 200)?.data.address, "127.0.0.1");
    const attempts = audit.filter((e) => e.data.route === "/api/v1/auth/login" && e.data.phase === "attempt");
    assert.ok(attempts.some((e) => e.actor === "dana" && e.data.address === "127.0.0.1"));
  });

  it("4. rampart audit verify exits 0, then non-zero naming the event a byte of which sqlite3 changed", async () => {
    const verified = cli(["audit", "verify"]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /^verified \d+ events/);
    const [granted] = await events("access.granted");
    const id = granted?.id ?? assert.fail("an access.granted event");
    execFileSync("sqlite3", [
      join(project.dataDir, "rampart.db"),
      `UPDATE events SET message = 'X' || substr(message, 2) WHERE id = ${id}`,
    ]);
    const broken = cli(["audit", "verify"]);
    assert.equal(broken.code, EXIT_CHAIN_BROKEN, broken.stdout);
    assert.match(broken.stderr, new RegExp(`event ${id} \\(access\\.granted\\) does not match its recorded hash`));
  });

  it("5. no token, session id or password is in any response, event, file under the data dir, log or CLI output", async () => {
    const all = await api("GET", "/api/v1/events?limit=10000", { token: root() });
    const audit = await api("GET", "/api/v1/audit?limit=10000", { token: root() });
    assert.equal(all.status, 200, all.text);
    assert.equal(audit.status, 200, audit.text);
    const files = filesUnder(project.dataDir);
    assert.ok(files.some((f) => f.endsWith("rampart.db")));
    const haystacks = [...seen, ...fileTexts(files), up.output()];
    // dana's and omar's passwords and the wrong one, three tokens, two sessions.
    assert.ok(secrets.size >= 8, `${secrets.size} secrets handed out`);
    const hits = secretHits(secrets, haystacks);
    process.stdout.write(`# scanned ${haystacks.length} texts (${files.length} files) for ${secrets.size} secrets: ${hits.length} hits\n`);
    assert.deepEqual(hits, []);
  });
});
