import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { ApiClient, ApiError } from "../client/api-client.ts";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { startPostgres, type TestPostgres } from "./postgres.fixture.ts";
import { plaintextHits } from "./secret-scan.fixture.ts";

const CLI = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

// Production is protected (test-project.ts): people hold at most viewer there without a just-in-time grant.
const ACCESS_YAML = `access:
  requests:
    production: { roles: [operator, admin], approvers: { roles: [operator, admin] }, approvals: 1, max_duration: 1h }
`;

describe("rampart db query end to end: the URL from a secret, read-only, audited", () => {
  let postgres: TestPostgres;
  let project: TestProject;
  let up: RampartUp;

  before(async () => {
    postgres = await startPostgres();
    const setup = new pg.Client({ connectionString: postgres.url });
    await setup.connect();
    await setup.query("CREATE TABLE users (id int PRIMARY KEY, email text)");
    await setup.query("INSERT INTO users VALUES (1, 'a@example.com'), (2, 'b@example.com')");
    await setup.end();
    project = await createTestProject({
      instances: 1,
      appYaml: `    databases: { main: { kind: postgres, url_secret: DATABASE_URL } }\n${ACCESS_YAML}`,
    });
    up = await startRampartUp({ manifestPath: project.manifestPath, dataDir: project.dataDir });
    const set = spawnSync(
      process.execPath,
      [CLI, "secrets", "set", "web", "DATABASE_URL", "--env", "production", "--data", project.dataDir],
      {
        input: postgres.url,
        encoding: "utf8",
      },
    );
    assert.equal(set.status, 0, set.stderr);
  });
  after(async () => {
    await killPlatform(project.dataDir, up);
    postgres?.stop();
  });

  const db = (sql: string, ...more: string[]) =>
    runCli(["db", "query", "web", "main", "--env", "production", sql, ...more, "--data", project.dataDir]);

  it("prints a table of what the query read", () => {
    const result = db("SELECT id, email FROM users ORDER BY id");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /id\s+email\n1\s+a@example\.com\n2\s+b@example\.com/);
    assert.match(result.stderr, /2 row\(s\)/);
    const json = JSON.parse(db("SELECT count(*)::int AS n FROM users", "--json").stdout) as { rows: unknown[][] };
    assert.deepEqual(json.rows, [[2]]);
  });

  it("a DELETE is refused by PostgreSQL, with why", () => {
    const result = db("DELETE FROM users");
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot execute DELETE in a read-only transaction/);
    assert.equal(JSON.parse(db("SELECT count(*)::int FROM users", "--json").stdout).rows[0][0], 2);
  });

  it("records every query with actor, text, rows, duration and outcome", async () => {
    const events = await up.client.events({ type: "db.query" });
    assert.deepEqual(
      events.map((e) => [e.data?.sql, e.data?.outcome]),
      [
        ["SELECT id, email FROM users ORDER BY id", "ok"],
        ["SELECT count(*)::int AS n FROM users", "ok"],
        ["DELETE FROM users", "refused"],
        ["SELECT count(*)::int FROM users", "ok"],
      ],
    );
    assert.ok(events.every((e) => e.actor !== "" && typeof e.data?.durationMs === "number"));
    // The URL (and its password, if any) is a secret: never in an event.
    assert.equal(JSON.stringify(events).includes(postgres.url), false);
  });
  // People, each with a personal token: olga operates and ada administers (standing roles, capped at viewer in
  // protected production); quinn, an operator of production, may approve their just-in-time requests.
  const tokens = new Map<string, string>();
  const as = (user: string, args: string[]) =>
    runCli([...args, "--data", project.dataDir], { env: { RAMPART_TOKEN: tokens.get(user) ?? assert.fail(user) } });
  const clientOf = (user: string): ApiClient => new ApiClient({ baseUrl: up.client.baseUrl, token: tokens.get(user) ?? assert.fail(user) });
  /** Every answer and output a person saw (but reveal's own), scanned for the secrets at the end. */
  const seen: string[] = [];
  const person = async (name: string, role: "operator" | "admin", env: string) => {
    await up.client.addUser({ name, email: `${name}@example.com` });
    await up.client.grantRole({ user: name, role, env });
    tokens.set(name, (await up.client.createToken({ name: `${name}-cli`, user: name })).token);
  };
  /** A just-in-time grant of `role` in production for `user`, approved by quinn through the CLI. */
  const grantJustInTime = (user: string, role: string): string => {
    const asked = as(user, ["access", "request", "--role", role, "--env", "production", "--for", "1h", "--reason", "INC-14 data check"]);
    assert.equal(asked.code, 0, asked.stderr);
    const id = /access request (\d+)/.exec(asked.stdout)?.[1] ?? assert.fail(asked.stdout);
    const approved = as("quinn", ["access", "approve", id, "--reason", "on call"]);
    assert.equal(approved.code, 0, approved.stderr);
    seen.push(asked.stdout, asked.stderr, approved.stdout, approved.stderr);
    return id;
  };
  const stripeKey = `sk_live_${randomBytes(16).toString("hex")}`;

  it("a production query without a grant is a 403 naming db.query and the access request; allowed once approved; audited", async () => {
    await person("olga", "operator", "production");
    await person("ada", "admin", "*");
    await person("quinn", "operator", "production");
    const sql = "SELECT id, email FROM users WHERE id = 1";
    const refused = as("olga", ["db", "query", "web", "main", "--env", "production", sql]);
    seen.push(refused.stdout, refused.stderr);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /olga lacks permission db\.query in production for app web/);
    assert.match(refused.stderr, /rampart access request --role operator --env production --for 1h/);
    const denied = await clientOf("olga")
      .dbQuery("production", "web", "main", { sql })
      .catch((e: unknown) => e);
    assert.ok(denied instanceof ApiError && denied.status === 403 && denied.code === "forbidden", String(denied));
    const audited = await up.client.audit({ actor: "olga", type: "audit.request" });
    assert.ok(
      audited.some((e) => e.data.phase === "denied" && /databases\/main\/query/.test(e.message)),
      "the refusal is in the audit log",
    );
    assert.equal((await up.client.events({ type: "db.query" })).filter((e) => e.actor === "olga").length, 0, "no query ran");

    grantJustInTime("olga", "operator");
    const allowed = as("olga", ["db", "query", "web", "main", "--env", "production", sql]);
    seen.push(allowed.stdout, allowed.stderr);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /id\s+email\n1\s+a@example\.com/);
    const deleted = as("olga", ["db", "query", "web", "main", "--env", "production", "DELETE FROM users"]);
    seen.push(deleted.stdout, deleted.stderr);
    assert.equal(deleted.code, 1);
    assert.match(deleted.stderr, /cannot execute DELETE in a read-only transaction/);
    const count = as("olga", ["db", "query", "web", "main", "--env", "production", "SELECT count(*)::int AS n FROM users", "--json"]);
    assert.equal(JSON.parse(count.stdout).rows[0][0], 2, "the DELETE deleted nothing");
    const queries = (await up.client.events({ type: "db.query" })).filter((e) => e.actor === "olga");
    seen.push(JSON.stringify(queries));
    assert.deepEqual(
      queries.map((e) => [e.env, e.app, e.data.sql, e.data.rows, e.data.outcome]),
      [
        ["production", "web", sql, 1, "ok"],
        ["production", "web", "DELETE FROM users", 0, "refused"],
        ["production", "web", "SELECT count(*)::int AS n FROM users", 1, "ok"],
      ],
    );
    assert.ok(
      queries.every((e) => typeof e.data.durationMs === "number" && e.data.db === "main"),
      JSON.stringify(queries.map((e) => e.data)),
    );
  });

  it("reveal in production: refused for an operator (admin only), allowed under a just-in-time admin grant, recorded", async () => {
    const set = runCli(["secrets", "set", "web", "STRIPE_KEY", "--env", "production", "--data", project.dataDir], { input: stripeKey });
    assert.equal(set.code, 0, set.stderr);
    const reveal = (user: string) => as(user, ["secrets", "reveal", "web", "STRIPE_KEY", "--env", "production"]);
    const operator = reveal("olga"); // olga holds operator in production just in time (the test above)
    seen.push(operator.stdout, operator.stderr);
    assert.equal(operator.code, 1);
    assert.match(operator.stderr, /olga lacks permission secrets\.reveal in production.*roles granting it: admin/);
    assert.match(operator.stderr, /rampart access request --role admin --env production/);
    const standing = reveal("ada"); // a standing admin is capped at viewer in protected production
    seen.push(standing.stdout, standing.stderr);
    assert.equal(standing.code, 1);
    assert.match(standing.stderr, /ada lacks permission secrets\.reveal in production/);
    assert.equal((await up.client.events({ type: "secret.revealed" })).length, 0);

    grantJustInTime("ada", "admin");
    const revealed = reveal("ada");
    assert.equal(revealed.code, 0, revealed.stderr);
    assert.equal(revealed.stdout.trim(), stripeKey);
    seen.push(revealed.stderr);
    const recorded = await up.client.events({ type: "secret.revealed" });
    assert.deepEqual(
      recorded.map((e) => [e.actor, e.env, e.app, e.data.name, e.data.version]),
      [["ada", "production", "web", "STRIPE_KEY", 1]],
    );
  });

  it("never shows a value: 0 hits in events, the audit log, every answer and output, the control plane's output and the data dir", async () => {
    const texts = [
      ...seen,
      JSON.stringify(await up.client.events({ limit: 10_000 })),
      JSON.stringify(await up.client.audit({ limit: 10_000 })),
      JSON.stringify(await up.client.secrets("production", "web")),
      JSON.stringify(await up.client.secretHistory("production", "web", "STRIPE_KEY")),
      up.output(),
    ];
    assert.deepEqual(plaintextHits([stripeKey, postgres.url], texts, project.dataDir), []);
  });
});
