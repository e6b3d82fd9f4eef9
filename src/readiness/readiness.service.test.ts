import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { ManifestError } from "../config/manifest-error.ts";
import { parseManifest } from "../config/manifest.loader.ts";
import { RampartError } from "../shared/errors.ts";
import { secretHits } from "../testing/secret-scan.ts";
import { readinessWorld } from "./readiness.fixture.ts";
import type { ReadinessCheck, ReadinessReport } from "./readiness.types.ts";

const DAY = 86_400_000;

function manifest(options: { app?: string; production?: string; oncall?: string } = {}): string {
  return [
    "name: shop",
    "environments:",
    "  staging: { port: 8081 }",
    `  production: { port: 8080, protected: true${options.production ? `, ${options.production}` : ""} }`,
    "apps:",
    "  web:",
    "    source: ./web",
    "    run: node server.js",
    ...(options.app ? options.app.split("\n").map((l) => `    ${l}`) : []),
    ...(options.oncall ? [options.oncall] : []),
    "",
  ].join("\n");
}

const ONCALL = `oncall:
  people: { alice: { email: alice@example.com } }
  schedules: { primary: { time_zone: UTC, rotation: { every: week, handoff: "Mon 09:00", people: [alice] } } }
  escalation: { default: [{ notify: "schedule:primary", wait: 5m }] }`;

const byName = (report: ReadinessReport, name: ReadinessCheck["name"]): ReadinessCheck => {
  const found = report.checks.find((c) => c.name === name);
  assert.ok(found, `check ${name} is in the report`);
  return found;
};

describe("readiness checks, each from its facts", () => {
  let world: Awaited<ReturnType<typeof readinessWorld>>;
  beforeEach(async () => {
    world = await readinessWorld(manifest({ app: "health: { path: /healthz }" }));
  });
  afterEach(() => world.close());

  it("by default a protected environment requires a declared health check and a clean artifact; the rest is advice with its fix", async () => {
    world.state.releases.set("staging/web", [{ status: "live", artifactDigest: world.artifact({ "server.js": "listen(8080)\n" }) }]);
    const report = await world.make({ drills: false, parity: false }).report("production", "web");
    assert.equal(report.gated, true);
    assert.equal(report.ready, true);
    assert.deepEqual(
      report.checks.filter((c) => c.required).map((c) => [c.name, c.status]),
      [
        ["health_check", "pass"],
        ["no_secrets", "pass"],
      ],
    );
    assert.match(report.artifact?.from ?? "", /live in staging/);
    const advice = report.checks.filter((c) => !c.required);
    assert.deepEqual(
      advice.map((c) => [c.name, c.status]),
      [
        ["owner", "fail"],
        ["runbook", "fail"],
        ["alerts_routed", "fail"],
        ["checks_green", "fail"],
        ["release_strategy", "fail"],
        ["load_test", "fail"],
        ["rollback_drill", "unavailable"],
        ["parity", "unavailable"],
      ],
    );
    for (const c of advice) assert.ok(c.fix && c.fix.length > 10, `${c.name} says how to fix it`);
    assert.match(byName(report, "load_test").fix ?? "", /^rampart loadtest web --env staging --rate \d+/);
    assert.match(byName(report, "rollback_drill").fix ?? "", /^rampart drill rollback web --env staging/);
    assert.match(byName(report, "parity").fix ?? "", /^rampart parity staging production --app web/);
    // An unprotected environment requires nothing.
    const staging = await world.make().report("staging", "web");
    assert.equal(staging.protected, false);
    assert.equal(staging.gated, false);
    assert.ok(staging.checks.every((c) => !c.required));
  });

  it("rampart.yaml's readiness settings are validated where they stand", () => {
    assert.throws(
      () => parseManifest(manifest({ production: "readiness: { require: [health_check, load_tests], staging: qa }" }), "rampart.yaml"),
      (error: unknown) => {
        const text = String(error instanceof ManifestError ? error.issues.map((i) => `${i.path}: ${i.message}`).join("\n") : error);
        assert.match(text, /environments\.production\.readiness\.require\[1\]: expected a readiness check: health_check, no_secrets/);
        assert.match(
          text,
          /environments\.production\.readiness\.staging: "qa" is not a declared environment; declared: staging, production/,
        );
        return true;
      },
    );
    assert.throws(() => parseManifest(manifest({ app: "runbook: wiki/web" }), "rampart.yaml"), /expected an http\(s\) runbook URL/);
  });

  it("health check, owner, runbook and strategy come from rampart.yaml", async () => {
    world.setManifest(manifest());
    let report = await world.make().report("production", "web");
    assert.equal(byName(report, "health_check").status, "fail");
    assert.match(byName(report, "health_check").fix ?? "", /add health: \{ path: \/healthz \} to apps\.web/);
    world.setManifest(
      manifest({
        app: [
          "owner: team-payments",
          "runbook: https://wiki.example.com/runbooks/web",
          "environments: { production: { health: { path: /ready }, release: { strategy: canary } } }",
        ].join("\n"),
      }),
    );
    report = await world.make().report("production", "web");
    assert.deepEqual(
      ["health_check", "owner", "runbook", "release_strategy"].map((n) => byName(report, n as ReadinessCheck["name"]).status),
      ["pass", "pass", "pass", "pass"],
    );
    assert.match(byName(report, "health_check").detail, /GET \/ready/);
    assert.match(byName(report, "owner").detail, /team-payments/);
    // The health path declared only for production does not count in staging.
    assert.equal(byName(await world.make().report("staging", "web"), "health_check").status, "fail");
  });

  it("alerts are routed when the app's escalation policy reaches someone on call with a channel", async () => {
    world.setManifest(manifest({ oncall: ONCALL }));
    world.state.onCall = [{ schedule: "primary", user: "alice", contact: null }];
    let check = byName(await world.make().report("production", "web"), "alerts_routed");
    assert.equal(check.status, "fail");
    assert.match(check.detail, /reaches no one with a contact channel/);
    world.state.onCall = [{ schedule: "primary", user: "alice", contact: { email: "alice@example.com" } }];
    check = byName(await world.make().report("production", "web"), "alerts_routed");
    assert.equal(check.status, "pass");
    assert.match(check.detail, /alice \(schedule primary\)/);
    // The app's own critical rule names another policy, which is not declared.
    world.setManifest(
      manifest({
        oncall: ONCALL,
        app: "alerts: [{ name: slow, expr: latency_p99(5m) > 1, severity: critical, labels: { escalation: payments } }]",
      }),
    );
    check = byName(await world.make().report("production", "web"), "alerts_routed");
    assert.equal(check.status, "fail");
    assert.match(check.detail, /escalation policy payments, which rampart.yaml does not declare/);
  });

  it("synthetic checks are read where the app serves: staging before the first production release, production after", async () => {
    world.state.checks.set("staging/web", [
      { name: "health", ok: true },
      { name: "route /", ok: false },
    ]);
    let check = byName(await world.make().report("production", "web"), "checks_green");
    assert.equal(check.status, "fail");
    assert.match(check.detail, /1 of 2 synthetic check\(s\) of web failing in staging: route \//);
    assert.equal(check.fix, "see why: rampart checks --app web --env staging");
    world.state.releases.set("production/web", [{ status: "live", artifactDigest: world.artifact({ "a.js": "1\n" }) }]);
    world.state.checks.set("production/web", [{ name: "health", ok: true }]);
    check = byName(await world.make().report("production", "web"), "checks_green");
    assert.equal(check.status, "pass");
    assert.match(check.detail, /green in production/);
  });

  it("a load test must have passed in staging, recently, at the target rate", async () => {
    world.setManifest(manifest({ production: "readiness: { require: [load_test], max_age_days: 7, load_rate: 200 }" }));
    const now = world.clock.now();
    const run = (daysAgo: number, rate: number, passed: boolean) => ({
      at: now - daysAgo * DAY,
      result: { passed, rate, achievedRps: rate },
    });
    const verdict = async () => byName(await world.make().report("production", "web"), "load_test");
    assert.match((await verdict()).detail, /never been load tested in staging/);
    assert.equal((await verdict()).fix, "rampart loadtest web --env staging --rate 200 --duration 2m --threshold errors<1%");
    world.state.loadTests.set("staging/web", run(9, 500, true));
    assert.match((await verdict()).detail, /9 days old \(at most 7 days\)/);
    world.state.loadTests.set("staging/web", run(1, 500, false));
    assert.match((await verdict()).detail, /failed its thresholds/);
    world.state.loadTests.set("staging/web", run(1, 100, true));
    assert.match((await verdict()).detail, /ran at 100\/s, below the target 200\/s/);
    world.state.loadTests.set("staging/web", run(1, 250, true));
    const passed = await verdict();
    assert.equal(passed.status, "pass");
    assert.equal(passed.required, true);
  });

  it("rollback drills and parity come from their sources when wired, and say 'unavailable' when not", async () => {
    const now = world.clock.now();
    const wired = world.make();
    assert.equal(byName(await wired.report("production", "web"), "rollback_drill").status, "fail");
    world.state.drills.set("staging/web", { at: now - 40 * DAY, ok: true });
    assert.match(byName(await wired.report("production", "web"), "rollback_drill").detail, /40 days old/);
    world.state.drills.set("staging/web", { at: now - DAY, ok: false });
    assert.match(byName(await wired.report("production", "web"), "rollback_drill").detail, /failed/);
    world.state.drills.set("staging/web", { at: now - DAY, ok: true });
    assert.equal(byName(await wired.report("production", "web"), "rollback_drill").status, "pass");

    assert.match(byName(await wired.report("production", "web"), "parity").detail, /no parity report/);
    world.state.drift.set("web:staging->production", { unallowed: 2, summary: "instances 1 vs 3; LOG_LEVEL differs" });
    const drift = byName(await wired.report("production", "web"), "parity");
    assert.equal(drift.status, "fail");
    assert.match(drift.detail, /2 difference\(s\) between staging and production not declared as allowed: instances 1 vs 3/);
    world.state.drift.set("web:staging->production", { unallowed: 0, summary: "" });
    assert.equal(byName(await wired.report("production", "web"), "parity").status, "pass");

    const bare = await world.make({ drills: false, parity: false }).report("production", "web");
    assert.equal(byName(bare, "rollback_drill").status, "unavailable");
    assert.equal(byName(bare, "parity").status, "unavailable");
  });

  it("the secret scan reports a planted token and the app's own secret value by file and line, never the value", async () => {
    const own = "s3cr3t-db-password-771";
    const token = ["ghp", "_", "Zq81kXbW0pLmNn4T7rYv2HsD9aFcE3uJ6iOg"].join("");
    world.state.secrets = [{ name: "DB_PASSWORD", value: own }];
    const digest = world.artifact({ "server.js": `const a = 1;\nconst pw = "${own}";\n`, "ci/deploy.sh": `export GH=${token}\n` });
    world.state.releases.set("staging/web", [{ status: "live", artifactDigest: digest }]);
    const report = await world.make().report("production", "web");
    const check = byName(report, "no_secrets");
    assert.equal(check.status, "fail");
    assert.deepEqual(check.findings, [
      { file: "ci/deploy.sh", line: 1, kind: "github_token" },
      { file: "server.js", line: 2, kind: "app_secret:DB_PASSWORD" },
    ]);
    assert.match(check.detail, /ci\/deploy.sh:1 \(github_token\), server.js:2 \(app_secret:DB_PASSWORD\)/);
    assert.equal(report.ready, false);
    assert.deepEqual(secretHits([own, token], [JSON.stringify(report)]), []);
    // An artifact garbage-collected since its release: the scan cannot tell, and says how to get one to scan.
    world.state.releases.set("staging/web", [{ status: "live", artifactDigest: `sha256-${"0".repeat(64)}` }]);
    const gone = byName(await world.make().report("production", "web"), "no_secrets");
    assert.equal(gone.status, "unavailable");
    assert.match(gone.detail, /no longer on disk/);
  });
});

describe("the gate on an app's first deploy to a protected environment", () => {
  let world: Awaited<ReturnType<typeof readinessWorld>>;
  beforeEach(async () => {
    world = await readinessWorld(manifest({ production: "readiness: { require: [health_check, no_secrets, owner] }" }));
  });
  afterEach(() => world.close());

  it("refuses naming each failing required check and its fix, lets it through once they pass, and never gates later deploys", async () => {
    const service = world.make();
    const digest = world.artifact({ "server.js": "ok\n" });
    const refused = await service.gate({ env: "production", app: "web", digest, actor: "ci", from: "deployed now" }).then(
      () => assert.fail("refused"),
      (error: unknown) => error,
    );
    assert.ok(refused instanceof RampartError);
    assert.equal(refused.code, "readiness_failed");
    assert.equal(refused.status, 409);
    assert.match(refused.message, /failing: health_check \(.*\); owner \(apps\.web names no owner\)/);
    assert.match(refused.hint, /health_check: add health: .* \| owner: add owner: TEAM to apps\.web/);
    assert.match(refused.hint, /--override-readiness --reason TEXT/);
    assert.deepEqual(
      (refused.details as { failing: { name: string }[] }).failing.map((f) => f.name),
      ["health_check", "owner"],
    );

    world.setManifest(
      manifest({
        production: "readiness: { require: [health_check, no_secrets, owner] }",
        app: "owner: team-web\nhealth: { path: /healthz }",
      }),
    );
    await service.gate({ env: "production", app: "web", digest, actor: "ci", from: "deployed now" });
    const passed = await world.events.query({ type: "readiness.passed", limit: 10 });
    assert.equal(passed.length, 1);
    assert.equal(passed[0]?.actor, "ci");
    assert.match(passed[0]?.message ?? "", /every required readiness check passes \(health_check, no_secrets, owner\)/);

    // Once a release exists, nothing is checked (a broken manifest for readiness would not stop a hotfix).
    world.setManifest(manifest({ production: "readiness: { require: [health_check, no_secrets, owner, load_test] }" }));
    world.state.releases.set("production/web", [{ status: "live", artifactDigest: digest }]);
    await service.gate({ env: "production", app: "web", digest, actor: "ci", from: "deployed now" });
    // Unprotected environments are never gated.
    await service.gate({ env: "staging", app: "web", digest, actor: "ci", from: "deployed now" });
    assert.equal((await world.events.query({ type: "readiness.", limit: 10 })).length, 1);
  });

  it("an override lets the first deploy through within the hour, recorded with who and why", async () => {
    const service = world.make();
    const digest = world.artifact({ "server.js": "ok\n" });
    const given = await service.override("production", "web", "launch agreed with on-call", "alice");
    // No artifact exists anywhere yet, so the scan is not possible at override time (the gate scans the deploy's own).
    assert.deepEqual(given.failing, ["health_check", "no_secrets", "owner"]);
    assert.equal(given.expiresAt - given.at, 3_600_000);
    await service.gate({ env: "production", app: "web", digest, actor: "ci", from: "deployed now" });
    const recorded = await world.events.query({ type: "readiness.", limit: 10 });
    assert.deepEqual(
      recorded.map((e) => [e.type, e.actor]),
      [
        ["readiness.overridden", "alice"],
        ["readiness.passed", "ci"],
      ],
    );
    assert.equal(recorded[0]?.data.reason, "launch agreed with on-call");
    assert.match(recorded[1]?.message ?? "", /overridden by alice: launch agreed with on-call/);
    assert.deepEqual(recorded[1]?.data.override, { by: "alice", reason: "launch agreed with on-call", eventId: recorded[0]?.id });

    // An hour later the override is spent.
    world.clock.advance(3_600_001);
    await assert.rejects(service.gate({ env: "production", app: "web", digest, actor: "ci", from: "x" }), { code: "readiness_failed" });
    // Nothing to override where nothing is gated.
    await assert.rejects(service.override("staging", "web", "because", "alice"), {
      code: "readiness_not_gated",
      message: /staging is not protected/,
    });
    world.state.releases.set("production/web", [{ status: "live", artifactDigest: digest }]);
    await assert.rejects(service.override("production", "web", "because", "alice"), {
      code: "readiness_not_gated",
      message: /only the first deploy is gated/,
    });
  });
});
