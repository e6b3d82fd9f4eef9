import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIssue } from "../config/manifest-error.ts";
import { ManifestError } from "../config/manifest-error.ts";
import { parseManifest } from "../config/manifest.loader.ts";

const HEAD = `name: shop
environments:
  staging: { port: 8081 }
apps:
  web:
    source: ./web
    run: node server.js
`;

function errorsOf(text: string): string[] {
  try {
    parseManifest(HEAD + text, "rampart.yaml");
  } catch (error) {
    if (error instanceof ManifestError) return error.issues.map(formatIssue);
    throw error;
  }
  return assert.fail("expected a ManifestError");
}

test("checks and heartbeats resolve with their defaults", () => {
  const manifest = parseManifest(
    `${HEAD}    checks:
      - { name: api-up, path: /api/health, conditions: ["status == 200", "body.status == UP"], failure_threshold: 5 }
      - { name: site, url: "https://example.com/", interval: 1m }
    heartbeats:
      - { name: nightly, every: 24h }
`,
    "rampart.yaml",
  );
  const checks = manifest.checks?.web;
  assert.ok(checks !== undefined);
  assert.equal(checks.defaults, true);
  const [api, site] = checks.http;
  assert.deepEqual(api?.target, { kind: "path", path: "/api/health" });
  assert.equal(api?.intervalMs, 30_000);
  assert.equal(api?.failureThreshold, 5);
  assert.equal(api?.successThreshold, 2);
  assert.deepEqual(
    api?.conditions.map((c) => c.text),
    ["status == 200", "body.status == UP"],
  );
  assert.deepEqual(site?.target, { kind: "url", url: "https://example.com/" });
  assert.equal(site?.conditions[0]?.text, "status == 200");
  assert.deepEqual(checks.heartbeats, [{ name: "nightly", everyMs: 86_400_000, graceMs: 60_000 }]);
});

test("checks: { defaults: false } switches the default checks off", () => {
  const manifest = parseManifest(`${HEAD}    checks: { defaults: false }\n`, "rampart.yaml");
  assert.deepEqual(manifest.checks?.web, { defaults: false, http: [], heartbeats: [] });
});

test("a bad check is a manifest error naming the field and what is expected", () => {
  const [bad] = errorsOf(`    checks:\n      - { name: api, path: /api, conditions: ["latency < 300ms"] }\n`);
  assert.match(bad ?? "", /rampart\.yaml:9:.*apps\.web\.checks\[0\]\.conditions\[0\]: "latency" in "latency < 300ms" is not a subject/);
  const [often] = errorsOf(`    checks:\n      - { name: api, path: /api, interval: 2s }\n`);
  assert.match(often ?? "", /apps\.web\.checks\[0\]\.interval: 2000ms is too often: a check runs at most every 10s/);
  const [both] = errorsOf(`    checks:\n      - { name: api, path: /api, url: "http://x/" }\n`);
  assert.match(both ?? "", /apps\.web\.checks\[0\].*exactly one of path .*, url .* or browser/);
  const [heartbeat] = errorsOf(`    heartbeats:\n      - { name: nightly }\n`);
  assert.match(heartbeat ?? "", /apps\.web\.heartbeats\[0\]\.every/);
});

test("a browser check takes goto, click and expect_text steps", () => {
  const manifest = parseManifest(
    `${HEAD}    checks:\n      - { name: buy, browser: [{ goto: / }, { click: "#buy" }, { expect_text: Thank you }], interval: 1m }\n`,
    "rampart.yaml",
  );
  assert.deepEqual(manifest.checks?.web?.http[0]?.target, {
    kind: "browser",
    steps: [{ goto: "/" }, { click: "#buy" }, { expect_text: "Thank you" }],
  });
  const [bad] = errorsOf(`    checks:\n      - { name: buy, browser: [{ tap: "#buy" }] }\n`);
  assert.match(bad ?? "", /apps\.web\.checks\[0\]\.browser\[0\]: expected one step of goto, click or expect_text/);
});
