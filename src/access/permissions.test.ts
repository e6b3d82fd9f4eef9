import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decide, type Principal, permissions, rolePermissions, rolesGranting } from "./permissions.ts";

const NOW = 1_800_000_000_000;
const person = (over: Partial<Principal> = {}): Principal => ({ kind: "user", name: "dana", grants: [], timed: [], apps: null, ...over });
const ask = (p: Principal, permission: (typeof permissions)[number], env: string | null, isProtected = false, app: string | null = null) =>
  decide(p, { permission, env, app, isProtected, now: NOW }).allowed;

describe("permissions", () => {
  it("a developer deploys to staging but not to protected production, where standing access stops at viewer", () => {
    const dev = person({ grants: [{ role: "developer", env: "*" }] });
    assert.equal(ask(dev, "deploy", "staging"), true);
    assert.equal(ask(dev, "deploy", "production", true), false);
    assert.equal(ask(dev, "read", "production", true), true);
    assert.match(
      decide(dev, { permission: "deploy", env: "production", isProtected: true, now: NOW }).via,
      /production is protected: standing access stops at viewer/,
    );
  });

  it("a CI token with deployer in production deploys there and does nothing else", () => {
    const ci = person({ kind: "service", name: "ci", grants: [{ role: "deployer", env: "production" }] });
    assert.equal(ask(ci, "deploy", "production", true), true);
    assert.equal(ask(ci, "rollback", "production", true), true);
    for (const p of ["flags.write", "logs.read", "secrets.list", "users.manage"] as const)
      assert.equal(ask(ci, p, "production", true), false, p);
    assert.equal(ask(ci, "deploy", "staging"), false, "no grant in staging");
    const scoped = { ...ci, apps: ["web"] };
    assert.equal(ask(scoped, "deploy", "production", true, "web"), true);
    assert.equal(ask(scoped, "deploy", "production", true, "api"), false);
  });

  it("a just-in-time grant raises a role in its environment until its time, and no longer", () => {
    const dev = person({
      grants: [{ role: "viewer", env: "*" }],
      timed: [{ role: "operator", env: "production", until: NOW + 1000, requestId: 3 }],
    });
    assert.equal(ask(dev, "rollback", "production", true), true);
    assert.match(decide(dev, { permission: "rollback", env: "production", isProtected: true, now: NOW }).via, /access request 3/);
    assert.equal(decide(dev, { permission: "rollback", env: "production", isProtected: true, now: NOW + 1000 }).allowed, false);
    assert.equal(ask(dev, "rollback", "staging"), false, "only where it was granted");
  });

  it("approving access requests is not capped in a protected environment (ADR 12), everything else above viewer is", () => {
    const onCall = person({ grants: [{ role: "operator", env: "production" }] });
    assert.equal(ask(onCall, "access.approve", "production", true), true);
    assert.equal(ask(onCall, "rollout.steer", "production", true), false);
    assert.equal(ask(person({ grants: [{ role: "developer", env: "production" }] }), "access.approve", "production", true), false);
  });

  it("platform permissions need a role in every environment; the credentials file may do everything", () => {
    const prodAdmin = person({ grants: [{ role: "admin", env: "production" }] });
    assert.equal(ask(prodAdmin, "users.manage", null), false);
    assert.equal(ask(person({ grants: [{ role: "admin", env: "*" }] }), "users.manage", null), true);
    const root: Principal = { kind: "root", name: "local", grants: [], timed: [], apps: null };
    for (const p of permissions) assert.equal(ask(root, p, "production", true), true);
  });

  it("every permission is granted by admin and by at least one role besides the platform ones", () => {
    for (const p of permissions) assert.ok(rolePermissions.admin.includes(p), p);
    assert.deepEqual(rolesGranting("deploy"), ["developer", "deployer", "operator", "admin"]);
    assert.deepEqual(rolesGranting("secrets.reveal"), ["admin"]);
  });
});
