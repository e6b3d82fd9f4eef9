import assert from "node:assert/strict";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { RollbackDrill } from "../rollback-drills/rollback-drill.types.ts";
import { platformRig } from "../testing/platform-rig.ts";
import { waitFor } from "../shared/wait.ts";
import type { ApplyResult, Plan } from "./plan.types.ts";

const EDITED = [
  "    environments:",
  "      staging: { instances: 2 }",
  "alerts:",
  "  rules:",
  "    - name: web_errors",
  "      expr: error_ratio(5m) > 0.5",
  "drills:",
  "  rollback: { every: 1h, env: staging, rate: 10 }",
].join("\n");

describe("rampart plan / apply / export through a real rampart up (and a drill from the applied schedule)", () => {
  const rig = platformRig({ project: { instances: 1 }, deploy: { env: "staging", timeoutMs: 90_000 } });
  const { cli } = rig;
  const plan = (): Plan => {
    const run = cli(["plan", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as Plan;
  };

  it("shows a manifest edit as a diff, applies what needs no release, and names the deploy the rest needs", async () => {
    assert.deepEqual(plan().changes, [], "nothing changed yet");
    rig.project.writeManifest(EDITED);
    const shown = cli(["plan"]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^~ apps\.web\[staging\]\.instances: 1 → 2 {2}\(needs a release: rampart deploy web --env staging\)$/m);
    assert.match(shown.stdout, /^\+ alerts: /m);
    assert.match(shown.stdout, /^\+ drills: /m);
    assert.match(shown.stdout, /3 change\(s\): 2 applied by rampart apply, 1 need a release/);
    assert.ok(!shown.stdout.includes("\u001b["), "no colours in a pipe");

    const refused = cli(["apply"]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /no terminal to ask on/);
    assert.match(refused.stderr, /rampart apply --yes/);
    const applied = cli(["apply", "--yes", "--json"]);
    assert.equal(applied.code, 0, applied.stderr);
    const result = JSON.parse(applied.stdout) as ApplyResult;
    assert.deepEqual(result.applied.map((c) => c.path).sort(), ["alerts", "drills"]);
    assert.deepEqual(
      result.pending.map((c) => [c.path, c.command]),
      [["apps.web[staging].instances", "rampart deploy web --env staging"]],
    );
    const recorded = (await rig.up.client.events({ limit: 1000 })).filter((e) => e.type === "manifest.applied");
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0]?.actor, "local");
    assert.match(recorded[0]?.message ?? "", /local applied .*rampart\.yaml: \+ alerts, \+ drills; 1 change\(s\) wait for a release/);
    assert.deepEqual(
      plan().changes.map((c) => c.path),
      ["apps.web[staging].instances"],
      "after apply only the release-bound change is left",
    );
    const again = JSON.parse(cli(["apply", "--yes", "--json"]).stdout) as ApplyResult;
    assert.equal(again.eventId, null, "a second apply has nothing to do");
  });

  it("runs the rollback drill the applied schedule asks for, from the control plane", async (t) => {
    const drill = await waitFor(
      async () => {
        const [latest] = await rig.up.client.rollbackDrills("staging", "web");
        return latest && latest.status !== "running" ? latest : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const d: RollbackDrill = drill;
    assert.equal(d.trigger, "schedule");
    assert.equal(d.actor, "rampart");
    assert.equal(d.status, "passed", d.error ?? "");
    t.diagnostic(`scheduled drill: to 100% in ${d.result?.rollbackMs} ms, ${d.result?.failed} of ${d.result?.sent} failed`);
  });

  it("exports the running state as YAML that plan shows as no changes", () => {
    const out = join(rig.project.dir, "exported.yaml");
    const exported = cli(["export", "--out", out]);
    assert.equal(exported.code, 0, exported.stderr);
    const yaml = readFileSync(out, "utf8");
    assert.match(yaml, /^# exported by rampart export from the running platform at /);
    assert.match(yaml, /staging: \{ instances: 1 \}/, "the live release's instance count, not the applied file's");
    copyFileSync(out, rig.project.manifestPath);
    assert.deepEqual(plan().changes, []);
    rig.events.assertNoViolations();
  });
});
