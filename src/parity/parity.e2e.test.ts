import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { readCredentials } from "../daemon/credentials.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import { startPostgres, type TestPostgres } from "../secrets/postgres.fixture.ts";
import { platformRig } from "../testing/platform-rig.ts";
import { scannedCaller, secretHits } from "../testing/secret-scan.ts";
import { waitFor } from "../shared/wait.ts";
import type { ParityReport } from "./parity.types.ts";

// staging logs at debug and runs one instance (allowed: parity.allow); each environment has its own database.
const APP_YAML = `    env: { LOG_LEVEL: info }
    secrets: [API_TOKEN]
    databases: { main: { kind: postgres, url_secret: DATABASE_URL } }
    parity: { allow: [instances] }
    environments:
      staging: { instances: 1, env: { LOG_LEVEL: debug } }
`;

describe("rampart parity staging production through a real rampart up: drift injected and found", () => {
  let postgres: TestPostgres;
  const urls: Record<string, string> = {};
  const tokens = [
    `tok_${randomBytes(16).toString("hex")}`,
    `tok_${randomBytes(16).toString("hex")}`,
    `tok_${randomBytes(16).toString("hex")}`,
  ];
  /** Every output and answer of this test, scanned for the secrets at the end. */
  const seen: string[] = [];
  const cli = (args: string[], input?: string) => {
    const result = rig.cli(args, input);
    seen.push(result.stdout, result.stderr);
    return result;
  };
  const sql = async (url: string, ...statements: string[]) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    for (const statement of statements) await client.query(statement);
    await client.end();
  };

  before(async () => {
    postgres = await startPostgres();
    await sql(postgres.url, "CREATE DATABASE shop_staging", "CREATE DATABASE shop_production");
    for (const env of ["staging", "production"]) urls[env] = postgres.url.replace(/\/postgres$/, `/shop_${env}`);
    const schema = "CREATE TABLE users (id int PRIMARY KEY, email text)";
    // The seed's drift: staging a fraction of production's size, and production's index never made it to staging.
    await sql(
      urls.staging ?? "",
      schema,
      "INSERT INTO users SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 20) g",
      "ANALYZE users",
    );
    await sql(
      urls.production ?? "",
      schema,
      "INSERT INTO users SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 5000) g",
      "CREATE INDEX users_email_idx ON users (email)",
      "ANALYZE users",
    );
  });
  const rig = platformRig({ project: { instances: 2, appYaml: APP_YAML } });
  before(async () => {
    for (const [env, token] of [
      ["staging", tokens[0]],
      ["production", tokens[1]],
    ] as const) {
      assert.equal(cli(["secrets", "set", "web", "API_TOKEN", "--env", env], token).code, 0);
      assert.equal(cli(["secrets", "set", "web", "DATABASE_URL", "--env", env], urls[env]).code, 0);
      await waitForRelease(rig.up.client, await rig.up.client.deploy(env, "web"), 90_000);
    }
    // Rotated in production only: version 2 there (a secret change is a release).
    const before = await liveIn("production");
    const rotated = cli(["secrets", "set", "web", "API_TOKEN", "--env", "production"], tokens[2]);
    assert.equal(rotated.code, 0, rotated.stderr);
    await waitForLiveAfter(before);
  });
  after(() => postgres?.stop());

  async function webIn(env: string) {
    return (await rig.up.client.status()).environments.find((e) => e.name === env)?.apps.find((a) => a.name === "web");
  }
  async function liveIn(env: string): Promise<number> {
    return (await webIn(env))?.live ?? assert.fail(`nothing live in ${env}`);
  }
  /** Waits until production's live release is newer than `number`, done rolling out, with both instances healthy. */
  async function waitForLiveAfter(number: number): Promise<void> {
    await waitFor(
      async () => {
        const web = await webIn("production");
        const live = web?.instances.filter((i) => i.release === web.live && i.health === "healthy") ?? [];
        return (web?.live ?? 0) > number && web?.deploying === null && live.length === 2 ? true : undefined;
      },
      { timeoutMs: 90_000, onTimeout: () => new Error(`production's release after ${number} did not go live`) },
    );
  }

  it("finds the env value, the instance count (allowed), the missing index, the smaller database and the rotated secret; exits 3", () => {
    const result = cli(["parity", "staging", "production", "--json"]);
    assert.equal(result.code, 3, result.stderr);
    const report = JSON.parse(result.stdout) as ParityReport;
    const byKey = new Map(report.drifts.map((d) => [d.key, d]));
    const pick = (key: string) => {
      const d = byKey.get(key) ?? assert.fail(`no drift ${key} in ${[...byKey.keys()].join(", ")}`);
      return [d.severity, d.allowed, d.from, d.to];
    };
    assert.deepEqual(pick("env.LOG_LEVEL"), ["warning", false, "debug", "info"]);
    assert.deepEqual(pick("instances"), ["warning", true, 1, 2]);
    assert.deepEqual(pick("databases.main.indexes.users_email_idx"), [
      "critical",
      false,
      null,
      "CREATE INDEX users_email_idx ON public.users USING btree (email)",
    ]);
    assert.deepEqual(pick("secrets.API_TOKEN"), ["info", false, { version: 1 }, { version: 2 }]);
    const rows = byKey.get("databases.main.rows.users");
    assert.equal(rows?.severity, "warning");
    assert.match(rows?.message ?? "", /about 20 rows in staging, 5000 in production \(250x\)/);
    assert.equal(report.summary.unallowedCritical, 1);
    assert.equal(byKey.has("artifact"), false, "the same source: one artifact served in both");
    // The interpreter the instances exec, resolved from /proc/PID/exe: the same in both, so no runtime drift.
    const [from, to] = [report.apps[0]?.from, report.apps[0]?.to];
    assert.match(from?.runtimes[0]?.version ?? "", /^v\d+\.\d+\.\d+/);
    assert.equal(from?.runtimes[0]?.name, "node");
    assert.deepEqual([from?.runtimes[0]?.instances, to?.runtimes[0]?.instances], [1, 2]);
    assert.equal(byKey.has("runtime"), false);
    assert.deepEqual(
      to?.databases[0]?.tables.map((t) => [t.name, t.indexes.map((i) => i.name)]),
      [["users", ["users_email_idx", "users_pkey"]]],
    );
  });

  it("prints a table a person reads, and the same drifts through the API and for one app", async (t) => {
    const result = cli(["parity", "staging", "production", "--app", "web"]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stdout, /runtime\s+node v\d+/);
    assert.match(result.stdout, /db main\s+1 tables, ~20 rows, 1 indexes\s+1 tables, ~5000 rows, 2 indexes/);
    assert.match(result.stdout, /critical\s+web\s+databases\.main\.indexes\.users_email_idx/);
    assert.match(result.stdout, /warning \(allowed\)\s+web\s+instances/);
    assert.match(result.stdout, /1 critical, \d+ warning, \d+ info; 1 allowed .*exit 3/);
    const call = scannedCaller(() => rig.up.client.baseUrl, seen);
    const started = performance.now();
    const answer = await call("GET", "/api/v1/parity?from=staging&to=production&app=web", {
      token: readCredentials(rig.project.dataDir)?.token ?? assert.fail("no credentials"),
    });
    t.diagnostic(`GET /api/v1/parity (3 instances, 2 databases, versions cached): ${Math.round(performance.now() - started)} ms`);
    assert.equal(answer.status, 200, answer.text);
    assert.equal((answer.json() as unknown as ParityReport).summary.unallowedCritical, 1);
    const unknown = cli(["parity", "staging", "prod"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /environment "prod" is not in .*rampart\.yaml/);
    assert.match(unknown.stderr, /environments: staging, production/);
  });

  it("once the index is created in staging, no critical drift is left: exit 0", async () => {
    await sql(urls.staging ?? "", "CREATE INDEX users_email_idx ON users (email)");
    const result = cli(["parity", "staging", "production", "--json"]);
    assert.equal(result.code, 0, result.stdout);
    const report = JSON.parse(result.stdout) as ParityReport;
    assert.deepEqual(
      report.drifts.filter((d) => !d.allowed).map((d) => [d.key, d.severity]),
      [
        ["env.LOG_LEVEL", "warning"],
        ["databases.main.rows.users", "warning"],
        ["secrets.API_TOKEN", "info"],
      ],
    );
  });

  it("no secret value (tokens, database URLs) in any output or answer, and no state written without its event", () => {
    assert.deepEqual(secretHits([...tokens, urls.staging ?? "", urls.production ?? ""], seen), []);
    rig.events.assertNoViolations();
  });
});
