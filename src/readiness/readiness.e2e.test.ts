import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { waitForRelease } from "../releases/release-wait.ts";
import type { ReleaseView } from "../releases/release.types.ts";
import { platformRig } from "../testing/platform-rig.ts";
import { runCli } from "../testing/rampart-process.ts";
import { secretHits } from "../testing/secret-scan.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import type { ReadinessReport } from "./readiness.types.ts";

/** A project whose production requires owner too, with a second app (`worker`) whose first production deploy is overridden. */
function manifest(project: TestProject, owner: boolean): string {
  const app = (name: string, routes: string) =>
    [
      `  ${name}:`,
      "    source: ./web",
      "    run: node server.mjs",
      "    instances: 1",
      `    routes: ["${routes}"]`,
      "    health: { path: /healthz, interval: 500ms, timeout: 1s, start_timeout: 15s }",
      "    drain: 1s",
      ...(owner && name === "web" ? ["    owner: team-web"] : []),
    ].join("\n");
  return [
    "name: e2e",
    "environments:",
    `  staging: { port: ${project.ports.staging}, bind: 127.0.0.1 }`,
    `  production: { port: ${project.ports.production}, bind: 127.0.0.1, protected: true, readiness: { require: [health_check, no_secrets, owner] } }`,
    "apps:",
    app("web", "/"),
    app("worker", "/worker"),
    "",
  ].join("\n");
}

describe("readiness through a real rampart up: the first production deploy is gated, fixed, overridden and audited", () => {
  // Planted at run time (this file carries none): a Stripe-format key and the app's own secret value.
  const token = `${"sk_"}live_${randomBytes(18).toString("hex")}`;
  const ownValue = `pw-${randomBytes(12).toString("hex")}`;
  const plantedForScan = [token, ownValue];
  const rig = platformRig({
    project: async () => {
      const project = await createTestProject({ instances: 1 });
      writeFileSync(project.manifestPath, manifest(project, false));
      mkdirSync(join(project.dir, "web", "config"));
      writeFileSync(join(project.dir, "web", "config", "payments.js"), `// payments\nexport const key = "${token}";\n`);
      writeFileSync(join(project.dir, "web", "settings.js"), `export const db = {\n  password: "${ownValue}",\n};\n`);
      return project;
    },
  });
  /** Everything the CLI printed, scanned at the end for the planted secrets. */
  const outputs: string[] = [];
  const cli = (args: string[], input?: string) => {
    const result = rig.cli(args, input);
    outputs.push(result.stdout, result.stderr);
    return result;
  };

  before(async () => {
    assert.equal(cli(["secrets", "set", "web", "DB_PASSWORD", "--env", "staging"], ownValue).code, 0);
    // Staging is not protected: never gated.
    await waitForRelease(rig.up.client, await rig.up.client.deploy("staging", "web"), 90_000);
  });

  it("shows the scorecard: the staging artifact's planted token and own secret by file and line, the missing owner, advice", () => {
    const result = cli(["readiness", "web", "--env", "production", "--json"]);
    assert.equal(result.code, 4, result.stderr);
    const report = JSON.parse(result.stdout) as ReadinessReport;
    assert.equal(report.gated, true);
    assert.equal(report.ready, false);
    const failing = report.checks.filter((c) => c.required && c.status !== "pass");
    assert.deepEqual(
      failing.map((c) => c.name),
      ["no_secrets", "owner"],
    );
    assert.deepEqual(failing[0]?.findings, [
      { file: "config/payments.js", line: 2, kind: "stripe_key" },
      { file: "settings.js", line: 2, kind: "app_secret:DB_PASSWORD" },
    ]);
    const text = cli(["readiness", "web", "--env", "production"]);
    assert.equal(text.code, 4);
    assert.match(text.stdout, /✗ no_secrets +required +2 possible secret\(s\) in artifact .*config\/payments.js:2 \(stripe_key\)/);
    assert.match(text.stdout, /fix: add owner: TEAM to apps\.web in rampart\.yaml/);
    assert.match(text.stdout, /✗ load_test +advice +web has never been load tested in staging/);
    assert.match(text.stdout, /✗ rollback_drill +advice +no rollback of web has been drilled in staging/);
    assert.match(text.stdout, /not ready: 2 required check\(s\) do not pass \(no_secrets, owner\)/);
  });

  it("refuses the first production promotion and deploy naming each failing check and its fix, then deploys once they are fixed", async () => {
    const promoted = cli(["promote", "web", "--from", "staging", "--to", "production"]);
    assert.equal(promoted.code, 1);
    assert.match(promoted.stderr, /first deploy of web to protected production needs its required readiness checks to pass/);
    assert.match(
      promoted.stderr,
      /no_secrets \(2 possible secret\(s\).*config\/payments\.js:2 \(stripe_key\), settings\.js:2 \(app_secret:DB_PASSWORD\)/,
    );
    assert.match(promoted.stderr, /owner \(apps\.web names no owner\)/);
    assert.match(promoted.stderr, /hint: no_secrets: remove them from the source .* \| owner: add owner: TEAM to apps\.web/);

    rmSync(join(rig.project.dir, "web", "config"), { recursive: true });
    rmSync(join(rig.project.dir, "web", "settings.js"));
    const stillNoOwner = cli(["deploy", "web", "--env", "production"]);
    assert.equal(stillNoOwner.code, 1);
    assert.match(stillNoOwner.stderr, /failing: owner \(apps\.web names no owner\)/);
    assert.doesNotMatch(stillNoOwner.stderr, /no_secrets \(/, "the deploy's own snapshot is clean now");

    writeFileSync(rig.project.manifestPath, manifest(rig.project, true));
    const deployed = cli(["deploy", "web", "--env", "production", "--wait"]);
    assert.equal(deployed.code, 0, deployed.stderr);
    const ready = cli(["readiness", "web", "--env", "production", "--json"]);
    assert.equal(ready.code, 0, ready.stderr);
    assert.equal((JSON.parse(ready.stdout) as ReadinessReport).gated, false, "already deployed: later deploys are not gated");
    const passed = (await rig.up.client.events({ type: "readiness.", limit: 100 })).map((e) => [e.type, e.app, e.actor]);
    assert.deepEqual(passed, [["readiness.passed", "web", "local"]]);
  });

  it("lets an override through, recorded with actor and reason; --override-readiness needs --reason and its own permission", async () => {
    // CI's deployer token may deploy to production, but not override the gate.
    const ci = (await rig.up.client.createToken({ name: "ci", grants: [{ role: "deployer", env: "production" }] })).token;
    plantedForScan.push(ci);
    const forbidden = runCli(
      ["deploy", "worker", "--env", "production", "--override-readiness", "--reason", "ship it", "--data", rig.project.dataDir],
      {
        env: { RAMPART_API: "", RAMPART_TOKEN: ci },
      },
    );
    outputs.push(forbidden.stdout, forbidden.stderr);
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /readiness\.override/);
    const noReason = cli(["deploy", "worker", "--env", "production", "--override-readiness"]);
    assert.equal(noReason.code, 2, "a usage error");
    assert.match(noReason.stderr, /--override-readiness needs --reason TEXT/);
    const refused = cli(["deploy", "worker", "--env", "production"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /failing: owner \(apps\.worker names no owner\)/);
    const overridden = cli([
      "deploy",
      "worker",
      "--env",
      "production",
      "--override-readiness",
      "--reason",
      "launch agreed with on-call",
      "--wait",
    ]);
    assert.equal(overridden.code, 0, overridden.stderr);
    assert.match(
      overridden.stderr,
      /readiness gate overridden for worker's first deploy to production by local \(recorded\); failing: no_secrets, owner/,
    );
    const raw = await rig.up.client.events({ type: "readiness.", app: "worker", limit: 100 });
    const recorded = raw.map((e) => ({
      type: e.type,
      actor: e.actor,
      reason: e.data.reason,
      override: e.data.override,
    }));
    assert.equal(recorded.length, 2);
    assert.deepEqual(recorded[0], {
      type: "readiness.overridden",
      actor: "local",
      reason: "launch agreed with on-call",
      override: undefined,
    });
    assert.equal(recorded[1]?.type, "readiness.passed");
    assert.deepEqual(recorded[1]?.override, { by: "local", reason: "launch agreed with on-call", eventId: raw[0]?.id });

    // A later deploy is not gated: asking to override it is noted, and the deploy goes on.
    const later = cli(["deploy", "worker", "--env", "production", "--override-readiness", "--reason", "habit", "--json"]);
    assert.equal(later.code, 0, later.stderr);
    assert.match(later.stderr, /note: worker already has releases in production: only the first deploy is gated/);
    const second = JSON.parse(later.stdout) as ReleaseView;
    assert.equal(second.number, 2);
    // Live before the test ends, so no instance is half-started when the platform is stopped.
    await waitForRelease(rig.up.client, second, 90_000);

    // Nothing the platform or the CLI said carries the planted token or the secret value.
    const everything = [...outputs, rig.up.output(), JSON.stringify(await rig.up.client.events({ limit: 10_000 }))];
    assert.deepEqual(secretHits(plantedForScan, everything), []);
    rig.events.assertNoViolations();
  });
});
