import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManifestError, formatIssue, type ManifestIssue } from "./manifest-error.ts";
import { parseManifest } from "./manifest.loader.ts";

/** Lines 1-8; app keys appended below start at line 9. */
const HEAD = `name: shop
environments:
  staging: { port: 8081 }
  production: { port: 8080, protected: true }
apps:
  web:
    source: ./web
    run: node server.js
`;

function issuesOf(text: string): ManifestIssue[] {
  try {
    parseManifest(text, "rampart.yaml");
  } catch (error) {
    if (error instanceof ManifestError) return [...error.issues];
    throw error;
  }
  return assert.fail("expected a ManifestError");
}

/** Asserts exactly one issue at `path`, on `line`, whose formatted text matches `message`. */
function expectIssue(issues: ManifestIssue[], line: number, path: string, message: RegExp | string): ManifestIssue {
  const found = issues.filter((issue) => issue.path === path);
  assert.equal(found.length, 1, `one issue at ${path}, got:\n${issues.map(formatIssue).join("\n")}`);
  const [issue] = found;
  assert.ok(issue !== undefined);
  assert.equal(issue.line, line, formatIssue(issue));
  const text = formatIssue(issue);
  if (typeof message === "string") assert.ok(text.endsWith(`${path}: ${message}`), text);
  else assert.match(text, message);
  assert.ok(text.startsWith(`rampart.yaml:${line}:${issue.column} `), text);
  return issue;
}

describe("manifest errors", () => {
  it("formats file:line:column path: message with the column of the value", () => {
    const issues = issuesOf(`${HEAD}    health: { path: /healthz, interval: 1 sec }\n`);
    assert.equal(issues.length, 1);
    assert.equal(formatIssue(issues[0] ?? assert.fail()), 'rampart.yaml:9:41 apps.web.health.interval: "1 sec" is not a duration, e.g. 1s');
  });

  it("reports every problem at once, sorted by line, in the error message", () => {
    const text = `name: Shop
environments:
  staging: { port: 8081 }
  production: { port: 8080, protected: yes }
apps:
  web:
    source: ./web
    run: node server.js
    instances: two
    helth: { path: /healthz }
    drain: 10
    release:
      strategy: canery
      steps: [50, 25]
      guards: { error_rate: 1, p99_latency: fast }
`;
    let error: unknown;
    try {
      parseManifest(text, "rampart.yaml");
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof ManifestError);
    const issues = [...error.issues];
    expectIssue(issues, 1, "name", '"Shop" is not a valid name: use a-z, 0-9 and -');
    expectIssue(issues, 4, "environments.production.protected", 'expected true or false, got "yes"');
    expectIssue(issues, 9, "apps.web.instances", 'expected a whole number from 1 to 64, got "two"');
    expectIssue(issues, 10, "apps.web.helth", 'unknown key, did you mean "health"?');
    expectIssue(issues, 11, "apps.web.drain", "10 is not a duration: add a unit, e.g. 10s");
    expectIssue(issues, 13, "apps.web.release.strategy", 'expected rolling, blue-green or canary, got "canery"');
    expectIssue(issues, 14, "apps.web.release.steps", "steps must go up, e.g. [5, 25, 50, 100], got [50, 25]");
    expectIssue(
      issues,
      15,
      "apps.web.release.guards.error_rate",
      "1 is not a percentage: add a %, e.g. 1% (or a ratio to stable, e.g. 2x)",
    );
    expectIssue(issues, 15, "apps.web.release.guards.p99_latency", /"fast" is not a latency limit/);
    assert.equal(issues.length, 9);
    assert.deepEqual(
      issues.map((issue) => issue.line),
      [1, 4, 9, 10, 11, 13, 14, 15, 15],
    );
    assert.equal(error.message.split("\n").length, 9);
    assert.match(error.message, /^rampart\.yaml:1:7 name: "Shop"/);
  });

  it("lists the allowed keys when no key is close", () => {
    const issues = issuesOf(`${HEAD}    banana: 1\n`);
    const issue = expectIssue(
      issues,
      9,
      "apps.web.banana",
      /unknown key; allowed keys here: source, build, run, instances, routes, hosts, health/,
    );
    assert.equal(issue.column, 5);
  });

  it("finds unknown keys at every level, including inside overrides", () => {
    const issues = issuesOf(`name: shop
enviroment: {}
environments:
  production: { port: 8080, protcted: true }
apps:
  web:
    source: ./web
    run: node server.js
    health: { intervall: 1s }
    release: { guards: { p95_latency: 1s } }
    environments:
      production: { instance: 2, source: ./other }
`);
    expectIssue(issues, 2, "enviroment", 'unknown key, did you mean "environments"?');
    expectIssue(issues, 4, "environments.production.protcted", 'unknown key, did you mean "protected"?');
    expectIssue(issues, 9, "apps.web.health.intervall", 'unknown key, did you mean "interval"?');
    expectIssue(issues, 10, "apps.web.release.guards.p95_latency", /did you mean "p99_latency"\?/);
    expectIssue(issues, 12, "apps.web.environments.production.instance", 'unknown key, did you mean "instances"?');
    expectIssue(issues, 12, "apps.web.environments.production.source", /source cannot differ per environment/);
  });

  it("points a missing required key at its parent", () => {
    const issues = issuesOf(`name: shop
environments:
  production: {}
apps:
  web:
    source: ./web
`);
    expectIssue(issues, 3, "environments.production.port", 'missing required key "port"');
    const run = expectIssue(issues, 5, "apps.web.run", 'missing required key "run"');
    assert.equal(run.column, 3);
  });

  it("points a missing top-level key at the start of the file", () => {
    const issues = issuesOf("name: shop\nenvironments:\n  production: { port: 8080 }\n");
    expectIssue(issues, 1, "apps", 'missing required key "apps"');
  });

  it("names both environments when they share a port", () => {
    const issues = issuesOf(`name: shop
environments:
  staging: { port: 8080 }
  production: { port: 8080 }
apps:
  web: { source: ./web, run: node server.js }
`);
    expectIssue(issues, 4, "environments.production.port", 'port 8080 is also used by environment "staging"');
  });

  it("rejects an override for an environment that is not declared", () => {
    const issues = issuesOf(`${HEAD}    environments:\n      stagin: { instances: 1 }\n      qa: { instances: 1 }\n`);
    expectIssue(
      issues,
      10,
      "apps.web.environments.stagin",
      /environment "stagin" is not declared under environments; did you mean "staging"\?/,
    );
    expectIssue(issues, 11, "apps.web.environments.qa", /"qa" is not declared .*; declared: staging, production/);
  });

  it("rejects routes that do not start with /", () => {
    const issues = issuesOf(`${HEAD}    routes: ["/", "api"]\n`);
    expectIssue(issues, 9, "apps.web.routes[1]", '"api" does not start with "/", e.g. "/api"');
  });

  it("rejects two apps claiming the same prefix on the same hosts, naming both", () => {
    const issues = issuesOf(`${HEAD}  api:
    source: ./api
    run: node api.js
    routes: ["/api", "/"]
  admin:
    source: ./admin
    run: node admin.js
    hosts: [admin.example.com]
    environments:
      production:
        hosts: [admin.example.com, Shop.example.com]
  shop:
    source: ./shop
    run: node shop.js
    hosts: [shop.example.com]
`);
    expectIssue(
      issues,
      12,
      "apps.api.routes[1]",
      'route "/" is also claimed by app "web" in staging, production; give one of them another prefix or hosts',
    );
    expectIssue(issues, 20, "apps.shop.routes", /the default route "\/" on shop.example.com is also claimed by app "admin" in production/);
    assert.equal(issues.length, 2);
  });

  it("reports duplicate YAML keys with their path, together with schema problems", () => {
    const issues = issuesOf(`${HEAD}    instances: 2\n    instances: 0\n`);
    const messages = issues.map(formatIssue);
    assert.deepEqual(messages, [
      "rampart.yaml:10:5 apps.web.instances: duplicate key: each key may appear only once",
      "rampart.yaml:10:16 apps.web.instances: expected a whole number from 1 to 64, got 0",
    ]);
  });

  it("names the path of a repeated key whose first occurrence has no value (found by the property tests)", () => {
    const issues = issuesOf(HEAD.replace("apps:\n", "apps:\napps:\n"));
    expectIssue(issues, 6, "apps", "duplicate key: each key may appear only once");
  });

  it("quotes keys a dotted path cannot show, and a key named like an Object method is just unknown", () => {
    expectIssue(issuesOf(`${HEAD}"": 1\n`), 9, '[""]', /unknown key/);
    expectIssue(issuesOf(`${HEAD}    "a.b": 1\n`), 9, 'apps.web["a.b"]', /unknown key/);
    const [issue] = issuesOf(`${HEAD}    environments:\n      staging: { toString: 1 }\n`);
    assert.equal(typeof issue?.message, "string");
    assert.match(issue?.message ?? "", /unknown key/);
  });

  it("reports YAML syntax errors with a line", () => {
    const issues = issuesOf("name: shop\nenvironments:\n  production: { port: 8080\napps:\n  web: 1\n");
    assert.ok(issues.length >= 1);
    assert.match(formatIssue(issues[0] ?? assert.fail()), /^rampart\.yaml:4:1 YAML syntax: /);
  });

  it("rejects an empty file and one that is not a mapping", () => {
    assert.deepEqual(issuesOf("").map(formatIssue), ["rampart.yaml:1:1 the file is empty; `rampart init` writes a starter rampart.yaml"]);
    assert.equal(issuesOf("# only a comment\n").length, 1);
    assert.deepEqual(issuesOf("- a\n").map(formatIssue), [
      "rampart.yaml:1:1 expected a mapping with name, environments and apps, got a list",
    ]);
  });

  it("checks edge settings: sizes, rates, address blocks, sticky keys", () => {
    const issues = issuesOf(`name: shop
environments:
  production:
    port: 8080
    pin_from: [10.0.0.0/33, everyone]
    limits: { max_header_size: 16, header_timeout: soon }
apps:
  web:
    source: ./web
    run: node server.js
    limits: { body: lots, rate: 100 }
    sticky: { cookie: a, header: b }
`);
    expectIssue(issues, 5, "environments.production.pin_from[0]", '"10.0.0.0/33" is not an IP address or block, e.g. 10.0.0.0/8');
    expectIssue(issues, 5, "environments.production.pin_from[1]", /"everyone" is not an IP address or block/);
    expectIssue(issues, 6, "environments.production.limits.max_header_size", "16 is not a size: add a unit, e.g. 16kb");
    expectIssue(issues, 6, "environments.production.limits.header_timeout", '"soon" is not a duration, e.g. 1s');
    expectIssue(issues, 11, "apps.web.limits.body", '"lots" is not a size, e.g. 16kb or 10mb');
    expectIssue(issues, 11, "apps.web.limits.rate", "100 is not a rate, e.g. 100/s or 6000/m");
    expectIssue(issues, 12, "apps.web.sticky", "name exactly one of cookie or header, e.g. { cookie: session_id }");
  });

  it("checks value ranges and names", () => {
    const issues = issuesOf(`name: shop
environments:
  Prod: { port: 70000, bind: nowhere }
apps:
  web:
    source: ./web
    run: node server.js
    instances: 0
    hosts: ["https://shop.example.com"]
    env: { PORT: 1, 1BAD: x, EMPTY: }
    health: { interval: 0s, unhealthy_threshold: 1.5 }
    release: { steps: [0, 150], guards: { p99_latency: 0.5x } }
`);
    expectIssue(issues, 3, "environments.Prod", /"Prod" is not a valid name: use a-z, 0-9 and -, starting with a letter/);
    expectIssue(issues, 3, "environments.Prod.port", "expected a whole number from 1 to 65535, got 70000");
    expectIssue(issues, 3, "environments.Prod.bind", '"nowhere" is not an IP address, e.g. 0.0.0.0 or 127.0.0.1');
    expectIssue(issues, 8, "apps.web.instances", "expected a whole number from 1 to 64, got 0");
    expectIssue(issues, 9, "apps.web.hosts[0]", /is not a host name, e.g. shop.example.com/);
    expectIssue(issues, 10, "apps.web.env.PORT", "PORT is set by Rampart for every instance");
    expectIssue(issues, 10, "apps.web.env.1BAD", /"1BAD" is not a valid environment variable name/);
    expectIssue(issues, 10, "apps.web.env.EMPTY", "expected a string, number or true/false, got nothing");
    expectIssue(issues, 11, "apps.web.health.interval", '"0s" is too short: must be more than 0s');
    expectIssue(issues, 11, "apps.web.health.unhealthy_threshold", "expected a whole number from 1 to 100, got 1.5");
    expectIssue(issues, 12, "apps.web.release.steps[0]", "expected a whole number from 1 to 100, got 0");
    expectIssue(issues, 12, "apps.web.release.steps[1]", "expected a whole number from 1 to 100, got 150");
    expectIssue(issues, 12, "apps.web.release.guards.p99_latency", /"0.5x" would fail a canary as fast as stable/);
  });

  it("requires at least one environment and one app", () => {
    const issues = issuesOf("name: shop\nenvironments: {}\napps: {}\n");
    expectIssue(issues, 2, "environments", /declare at least one environment/);
    expectIssue(issues, 3, "apps", /declare at least one app/);
  });
});
