import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decideTarget, forbidden, grantCommand, withTimedGrants } from "./authorize.ts";
import type { Principal } from "./permissions.ts";

const NOW = 1_800_000_000_000;
const protection = { isProtected: (env: string) => env === "production" };
const ci: Principal = { kind: "service", name: "ci", grants: [{ role: "deployer", env: "production" }], timed: [], apps: null };

describe("authorize", () => {
  it("anyEnvironment: allowed when some environment the caller holds a role in allows it (a source upload before a deploy)", () => {
    assert.equal(decideTarget(ci, { permission: "deploy", env: null, app: null, anyEnvironment: true }, protection, NOW).allowed, true);
    assert.equal(
      decideTarget(ci, { permission: "deploy", env: null, app: null }, protection, NOW).allowed,
      false,
      "not in every environment",
    );
    const viewer: Principal = { ...ci, kind: "user", name: "vic", grants: [{ role: "viewer", env: "*" }] };
    assert.equal(
      decideTarget(viewer, { permission: "deploy", env: null, app: null, anyEnvironment: true }, protection, NOW).allowed,
      false,
    );
    const dev: Principal = { ...ci, kind: "user", name: "dana", grants: [{ role: "developer", env: "production" }] };
    assert.equal(
      decideTarget(dev, { permission: "deploy", env: null, app: null, anyEnvironment: true }, protection, NOW).allowed,
      false,
      "a developer capped in protected production deploys nowhere",
    );
  });

  it("merges the just-in-time grants in force, and only those", () => {
    const grants = {
      activeGrants: (_p: { name: string }, now: number) =>
        [{ role: "operator" as const, env: "production", until: NOW + 1_000, requestId: 3 }].filter((g) => g.until > now),
      onGrantEnded: () => () => {},
    };
    const dana: Principal = { kind: "user", name: "dana", grants: [], timed: [], apps: null };
    const target = { permission: "flags.write" as const, env: "production", app: null };
    assert.equal(decideTarget(withTimedGrants(dana, grants, NOW), target, protection, NOW).allowed, true);
    assert.match(decideTarget(withTimedGrants(dana, grants, NOW), target, protection, NOW).via, /access request 3/);
    assert.equal(decideTarget(withTimedGrants(dana, grants, NOW + 1_000), target, protection, NOW + 1_000).allowed, false);
  });

  it("the command: a just-in-time request for the least role granting it, or a grant in every environment from an admin", () => {
    assert.equal(
      grantCommand("dana", "logs.read", "production"),
      'rampart access request --role viewer --env production --for 1h --reason "…"',
    );
    assert.equal(grantCommand("dana", "db.query", "staging"), 'rampart access request --role operator --env staging --for 1h --reason "…"');
    assert.equal(grantCommand("dana", "users.manage", "staging"), "ask an admin to run: rampart role grant dana admin --env '*'");
    assert.equal(grantCommand("dana", "read", null), "ask an admin to run: rampart role grant dana viewer --env '*'");
    // A service token cannot ask for access or be granted a role: another token is the way.
    assert.equal(
      grantCommand("svc:ci", "logs.read", "production", undefined, "service"),
      "ask an admin for a token that has it: rampart token create --name ci --role viewer --env production",
    );
    // The least role granting it that the environment's `access:` policy lets be requested.
    assert.equal(
      grantCommand("dana", "deploy", "production", ["operator", "admin"]),
      'rampart access request --role operator --env production --for 1h --reason "…"',
    );
    assert.match(grantCommand("dana", "logs.read", "production", ["developer", "operator"]), /--role developer /);
    const error = forbidden(
      ci,
      { permission: "logs.read", env: "production", app: null },
      { allowed: false, via: "no role in production grants it" },
    );
    assert.equal(error.status, 403);
    assert.match(
      error.message,
      /^ci lacks permission logs\.read in production \(search and tail instance logs\): no role in production grants it/,
    );
  });
});
