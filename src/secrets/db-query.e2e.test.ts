import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { startPostgres, type TestPostgres } from "./postgres.fixture.ts";

const CLI = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

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
    project = await createTestProject({ instances: 1, appYaml: "    databases: { main: { kind: postgres, url_secret: DATABASE_URL } }" });
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
});
