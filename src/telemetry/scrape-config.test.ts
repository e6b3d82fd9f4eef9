import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseManifest, resolveApp } from "../config/index.ts";

const manifest = (metrics: string) => `name: shop
environments:
  production: { port: 8080 }
  staging: { port: 8081 }
apps:
  web:
    source: ./web
    run: node server.js
${metrics}`;

describe("the manifest's `metrics:` scrape setting", () => {
  it("is off by default, on with defaults for `metrics: {}`, overridable per environment", () => {
    assert.equal(resolveApp(parseManifest(manifest(""), "rampart.yaml"), "web", "production").metrics, null);
    const m = parseManifest(manifest("    metrics: {}\n    environments:\n      staging: { metrics: { interval: 5s } }\n"), "rampart.yaml");
    assert.deepEqual(resolveApp(m, "web", "production").metrics, { path: "/metrics", intervalMs: 15_000 });
    assert.deepEqual(resolveApp(m, "web", "staging").metrics, { path: "/metrics", intervalMs: 5_000 });
  });

  it("names the file, line and key of a bad setting", () => {
    assert.throws(
      () => parseManifest(manifest("    metrics: { path: metrics, interval: 15 }\n"), "rampart.yaml"),
      (error: Error) =>
        /rampart\.yaml:9:\d+ apps\.web\.metrics\.path/.test(error.message) &&
        /apps\.web\.metrics\.interval: 15 is not a duration/.test(error.message),
    );
    assert.throws(
      () => parseManifest(manifest("    metrics: { pth: /m }\n"), "rampart.yaml"),
      /apps\.web\.metrics.*pth.*did you mean "path"/s,
    );
  });
});
