import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { parseManifest } from "../config/manifest.loader.ts";
import { RampartError } from "../shared/errors.ts";
import { AlertWorld, BASE_MANIFEST, instance } from "./alert-world.fixture.ts";
import { expandTemplate } from "./alert-rules.ts";
import { defaultRuleNames } from "./default-rules.ts";

const MANIFEST = `name: shop
environments:
  staging: { port: 8081 }
  production: { port: 8080 }
apps:
  web:
    source: ./web
    run: node server.js
    alerts:
      - name: high_error_ratio
        expr: error_ratio(5m) > 0.01
        for: 2m
        severity: warning
      - name: slow_checkout
        expression: latency_p99(5m) > 0.8
        labels: { team: shop }
        annotations: { summary: slow, runbook_url: "https://wiki.example.com/slow" }
  api:
    source: ./api
    run: node api.js
    routes: [/api]
alerts:
  rules:
    - name: no_traffic
      expr: request_rate(5m) == 0
      for: 10m
      severity: info
  defaults: { crash_loop: false }
`;

let world: AlertWorld | undefined;
afterEach(async () => {
  if (world) assert.deepEqual(world.violations(), []);
  await world?.close();
  world = undefined;
});

describe("alert rules: defaults, rampart.yaml, overrides, the API", () => {
  it("every app gets the defaults; an app rule of the same name replaces one; a default switched off is gone", async () => {
    world = await new AlertWorld(MANIFEST).open();
    const { rules, disabledDefaults } = await world.alerts.admin.rules();
    const of = (app: string) => rules.filter((r) => r.app === app).map((r) => `${r.name}:${r.source}`);
    assert.deepEqual(of("api"), [
      "high_error_ratio:default",
      "latency_p99_regression:default",
      "no_healthy_instance:default",
      "failing_check:default",
      "high_client_error_ratio:default",
      "no_traffic:project",
    ]);
    assert.deepEqual(of("web"), [
      "high_error_ratio:app",
      "latency_p99_regression:default",
      "no_healthy_instance:default",
      "failing_check:default",
      "high_client_error_ratio:default",
      "no_traffic:project",
      "slow_checkout:app",
    ]);
    assert.deepEqual(disabledDefaults, ["crash_loop"]);
    const overridden = rules.find((r) => r.app === "web" && r.name === "high_error_ratio");
    assert.deepEqual(overridden && { expr: overridden.expr, forMs: overridden.forMs, severity: overridden.severity }, {
      expr: "error_ratio(5m) > 0.01",
      forMs: 120_000,
      severity: "warning",
    });
    const slow = rules.find((r) => r.name === "slow_checkout");
    assert.deepEqual(slow?.labels, { team: "shop" });
    assert.deepEqual(slow?.annotations, { summary: "slow", runbook_url: "https://wiki.example.com/slow" });
    assert.deepEqual(defaultRuleNames.length, 6);
  });

  it("a bad expression in rampart.yaml names the file, line, key path, the character and what was expected", () => {
    const yaml = `${BASE_MANIFEST}    alerts:\n      - name: bad\n        expr: error_ratio(5m) >> 1\n`;
    assert.throws(
      () => parseManifest(yaml, "/tmp/rampart.yaml"),
      (error: Error) => {
        assert.match(error.message, /rampart\.yaml:10:\d+/);
        assert.match(error.message, /apps\.web\.alerts\[0\]\.expr/);
        assert.match(error.message, /at character 18 of "error_ratio\(5m\) >> 1": expected a number or a measurement/);
        return true;
      },
    );
  });

  it("rule fields are checked: name, severity, runbook URL, one of expr/expression, unknown defaults, duplicates", () => {
    const bad = (rules: string) => () => parseManifest(`${BASE_MANIFEST}alerts:\n${rules}`, "/tmp/rampart.yaml");
    assert.throws(bad("  rules:\n    - { name: 1x, expr: restarts(1m) > 1 }\n"), /not a rule name/);
    assert.throws(bad("  rules:\n    - { name: a, expr: restarts(1m) > 1, severity: page }\n"), /expected info, warning, critical/);
    assert.throws(bad("  rules:\n    - { name: a, expr: restarts(1m) > 1, annotations: { runbook_url: nope } }\n"), /runbook URL/);
    assert.throws(bad("  rules:\n    - { name: a }\n"), /exactly once/);
    assert.throws(bad("  defaults: { crashloop: false }\n"), /crashloop/);
    assert.throws(
      bad("  rules:\n    - { name: a, expr: restarts(1m) > 1 }\n    - { name: a, expr: restarts(1m) > 2 }\n"),
      /declared twice/,
    );
  });

  it("rules over the API: one for one app overrides by name, is evaluated, and is deleted; each change is an event", async () => {
    world = await new AlertWorld(MANIFEST).open();
    world.instances = [instance("api", "healthy")];
    const created = await world.alerts.admin.putRule(
      { name: "no_healthy_instance", expr: "instances < 2", severity: "info", app: "api" },
      "ana",
    );
    assert.deepEqual(
      created.map((r) => [r.app, r.source, r.expr]),
      [["api", "api", "instances < 2"]],
    );
    const { rules } = await world.alerts.admin.rules();
    assert.equal(rules.find((r) => r.app === "web" && r.name === "no_healthy_instance")?.source, "default");
    await world.run(5);
    const active = (await world.alerts.evaluator.active()).filter((a) => a.rule === "no_healthy_instance");
    assert.deepEqual(active.map((a) => [a.rule, a.labels.app, a.labels.env, a.state, a.labels.severity]).sort(), [
      ["no_healthy_instance", "api", "production", "firing", "info"],
      ["no_healthy_instance", "api", "staging", "firing", "info"],
    ]);
    await assert.rejects(
      world.alerts.admin.putRule({ name: "x", expr: "instances <", app: "api" }, "ana"),
      /at character 12 of "instances <": expected a number or a measurement/,
    );
    await assert.rejects(world.alerts.admin.putRule({ name: "x", expr: "instances < 1", app: "nope" }, "ana"), RampartError);
    assert.deepEqual(await world.alerts.admin.deleteRule("no_healthy_instance", "ana"), { deleted: "no_healthy_instance" });
    await assert.rejects(
      world.alerts.admin.deleteRule("no_healthy_instance", "ana"),
      /no alert rule "no_healthy_instance" was created over the API/,
    );
    const history = await world.alerts.admin.history({ limit: 100 });
    assert.deepEqual(
      history.events.filter((e) => e.type.startsWith("alert.rule")).map((e) => [e.type, e.actor]),
      [
        ["alert.rule_changed", "ana"],
        ["alert.rule_deleted", "ana"],
      ],
    );
  });

  it("templates: labels, the value, as a percentage or seconds", () => {
    const labels = { app: "web", env: "production" };
    assert.equal(expandTemplate("{{ $labels.app }} in {{$labels.env}}: {{ $value }}", labels, 0.12345), "web in production: 0.12");
    assert.equal(expandTemplate("{{ $value | percent }} / {{ $value | seconds }}", labels, 0.0456), "4.56% / 45.6ms");
    assert.equal(expandTemplate("{{ $labels.nope }}|{{ $value }}", labels, null), "|-");
  });
});
