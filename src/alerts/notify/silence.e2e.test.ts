import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../../testing/test-project.ts";

/** `rampart up` with alert receivers in rampart.yaml; silences and the delivery log through the CLI, as a user would. */
describe("silences and deliveries through rampart up and the CLI", { timeout: 120_000 }, () => {
  let project: TestProject;
  let up: RampartUp;
  const cli = (...args: string[]) => runCli(["--data", project.dataDir, ...args]);

  before(async () => {
    project = await createTestProject({
      instances: 1,
      appYaml: [
        "alerts:",
        "  receivers:",
        '    ops: { webhook: "http://127.0.0.1:9/hook" }',
        "  routes:",
        "    - { match: { severity: critical }, receiver: ops }",
        "  default_receiver: ops",
      ].join("\n"),
    });
    up = await startRampartUp(project);
  });

  after(async () => {
    if (project) await killPlatform(project.dataDir, up);
  });

  it("creates, lists and expires a silence, each an event with the actor", async () => {
    const created = cli(
      "silence",
      "create",
      "--match",
      "app=web",
      "--match",
      "env=production",
      "--for",
      "2h",
      "--reason",
      "migrating the db",
      "--json",
    );
    assert.equal(created.code, 0, created.stderr);
    const silence = JSON.parse(created.stdout) as { id: string; state: string; matchers: string[]; author: string };
    assert.equal(silence.state, "active");
    assert.deepEqual(silence.matchers, ["app=web", "env=production"]);

    const listed = cli("silence", "list", "--json");
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { silences: { id: string }[] }).silences.map((s) => s.id),
      [silence.id],
    );
    const table = cli("silence", "list");
    assert.match(table.stdout, /ID\s+STATE\s+MATCHERS/);
    assert.match(table.stdout, /active\s+app=web,env=production/);

    const expired = cli("silence", "expire", silence.id);
    assert.equal(expired.code, 0, expired.stderr);
    assert.match(expired.stdout, /expired/);
    assert.deepEqual((JSON.parse(cli("silence", "list", "--json").stdout) as { silences: unknown[] }).silences, []);

    const events = await up.client.events({ type: "silence.", limit: 10 });
    assert.deepEqual(
      events.map((e) => [e.type, e.app, e.env]),
      [
        ["silence.created", "web", "production"],
        ["silence.expired", "web", "production"],
      ],
    );
    assert.equal(events[0]?.actor, silence.author);
  });

  it("says what is wrong with a bad silence and what to run instead", () => {
    const bad = cli("silence", "create", "--match", "app=~(web", "--for", "1h", "--reason", "x");
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /not an RE2 regular expression/);
    const everything = cli("silence", "create", "--match", "app!=web", "--for", "1h", "--reason", "x");
    assert.notEqual(everything.code, 0);
    assert.match(everything.stderr, /would silence every alert/);
    const long = cli("silence", "create", "--match", "app=web", "--for", "90d", "--reason", "x");
    assert.notEqual(long.code, 0);
    assert.match(long.stderr, /duration/);
    const missing = cli("silence", "expire", "no-such-id");
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /silence no-such-id not found[\s\S]*rampart silence list/);
  });

  it("lists the delivery log and the on-call view (empty until alerts fire)", () => {
    const deliveries = cli("alerts", "deliveries", "--json");
    assert.equal(deliveries.code, 0, deliveries.stderr);
    assert.deepEqual(JSON.parse(deliveries.stdout), { deliveries: [] });
    const notifications = cli("alerts", "notifications");
    assert.equal(notifications.code, 0, notifications.stderr);
    assert.match(notifications.stdout, /no notifications/);
  });
});
