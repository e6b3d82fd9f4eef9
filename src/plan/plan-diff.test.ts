import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseManifest } from "../config/manifest.loader.ts";
import { resolveApp } from "../config/manifest.resolve.ts";
import type { Manifest, ResolvedApp } from "../config/resolved-manifest.schema.ts";
import { diffValue, planChanges, planDigest } from "./plan-diff.ts";
import { redactChange } from "./plan-redact.ts";
import type { PlanChange } from "./plan.types.ts";

const BASE = `name: shop
environments:
  staging: { port: 8081 }
  production: { port: 8080, protected: true }
apps:
  web:
    source: ./web
    run: node server.js
    instances: 2
    routes: ["/"]
    environments:
      staging: { instances: 1 }
`;

const manifest = (text: string): Manifest => parseManifest(text, "/tmp/plan-test/rampart.yaml", { checkSources: false });

/** Every app live in every environment with exactly what `deployed` resolves to. */
function planOf(deployed: Manifest, desired: Manifest, applied = deployed) {
  const live = (env: string, app: string): ResolvedApp | null =>
    deployed.apps[app] && deployed.environments[env] ? { ...resolveApp(deployed, app, env), secretVersions: { TOKEN: 3 } } : null;
  return planChanges({ applied, desired, live, resolve: (m, app, env) => resolveApp(m, app, env) });
}

const lines = (changes: PlanChange[]) => changes.map((c) => `${c.op} ${c.path}${c.needs ? ` (${c.needs})` : ""}`);

describe("plan: rampart.yaml against the running state", () => {
  it("has no changes when the file is what is applied and live (secret versions are the release's own)", () => {
    assert.deepEqual(planOf(manifest(BASE), manifest(BASE)), []);
  });

  it("marks a live release's config change as needing a release, with the deploy command, per environment", () => {
    const changes = planOf(
      manifest(BASE),
      manifest(BASE.replace("instances: 2", "instances: 3").replace('routes: ["/"]', 'routes: ["/", "/api"]')),
    );
    assert.deepEqual(lines(changes), [
      "~ apps.web[staging].routes (release)",
      "~ apps.web[production].instances (release)",
      "~ apps.web[production].routes (release)",
    ]);
    assert.equal(changes[1]?.section, "instances");
    assert.equal(changes[1]?.before, 2);
    assert.equal(changes[1]?.after, 3);
    assert.equal(changes[1]?.command, "rampart deploy web --env production");
    assert.equal(changes[0]?.section, "routes");
  });

  it("applies environments, alerts, checks and access without a release; the API needs a restart", () => {
    const desired = manifest(
      `${BASE.replace("staging: { port: 8081 }", "staging: { port: 8082 }\n  qa: { port: 8090 }")}
access:
  requests:
    production: { approvals: 2 }
alerts:
  rules:
    - name: errors
      expr: error_ratio(5m) > 0.05
      for: 1m
api:
  listen: 127.0.0.1:7711
`,
    );
    const changes = planOf(manifest(BASE), desired);
    const byPath = new Map(changes.map((c) => [c.path, c]));
    assert.equal(byPath.get("environments.staging.port")?.op, "~");
    assert.equal(byPath.get("environments.staging.port")?.needs, null);
    assert.equal(byPath.get("environments.qa")?.op, "+");
    assert.match(byPath.get("environments.qa")?.note ?? "", /listens on port 8090/);
    assert.equal(byPath.get("alerts")?.op, "+");
    assert.equal(byPath.get("alerts")?.section, "alerts");
    assert.ok(
      changes.some((c) => c.section === "access" && c.needs === null),
      "access policy changes apply",
    );
    assert.ok(
      changes.some((c) => c.path.startsWith("api") && c.needs === "restart"),
      "the API address needs a restart",
    );
    // An environment the app was never deployed to is no change: deploys are explicit.
    assert.ok(!changes.some((c) => c.path.startsWith("apps.web[qa]")));
  });

  it("shows an app added as needing a release and an app removed with what that does", () => {
    const two = `${BASE}  api:\n    source: ./api\n    run: node api.js\n    routes: ["/api"]\n`;
    const added = planOf(manifest(BASE), manifest(two));
    // Its default synthetic check comes with it (and goes with it): that part applies without a release.
    assert.deepEqual(lines(added), ["+ apps.api[staging] (release)", "+ apps.api[production] (release)", "+ checks.api"]);
    assert.equal(added[0]?.command, "rampart deploy api --env staging");
    const removed = planOf(manifest(two), manifest(BASE));
    assert.deepEqual(lines(removed), ["- apps.api", "- checks.api"]);
    assert.match(removed[0]?.note ?? "", /rampart up --yes/);
  });

  it("diffs nested values leaf by leaf and digests the same changes the same way", () => {
    const out: PlanChange[] = [];
    diffValue({ a: 1, b: { c: [1], d: "x" } }, { b: { c: [1, 2], e: true }, a: 1 }, "root", "platform", (c) =>
      out.push({ needs: null, command: null, note: null, ...c }),
    );
    assert.deepEqual(lines(out), ["~ root.b.c", "- root.b.d", "+ root.b.e"]);
    assert.equal(planDigest(out), planDigest(out.map((c) => ({ ...c }))));
    assert.notEqual(planDigest(out), planDigest(out.slice(1)));
  });
});

describe("a plan shown to readers", () => {
  it("masks the path and query of URLs (webhook credentials), keeps bare hosts and everything else", () => {
    const change: PlanChange = {
      ...{ op: "+", section: "alerts", path: "alerts", needs: null, command: null, note: null },
      after: { receivers: { ops: { slack: "https://hooks.slack.com/services/T0/B0/secret" } }, url: "https://example.com", route: "/api" },
    };
    assert.deepEqual(redactChange(change).after, {
      receivers: { ops: { slack: "https://hooks.slack.com/…" } },
      url: "https://example.com",
      route: "/api",
    });
  });
});
