import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RampartError } from "../shared/errors.ts";
import { type AccessFixture, accessFixture, LOCAL_TOKEN } from "./access.fixture.ts";
import type { TimedGrantSource } from "./caller.ts";
import { isLocalToken } from "./identity-authenticator.ts";
import { LoginThrottle } from "./login-throttle.ts";
import { verifyPassword } from "./password.ts";
import { decide, type Permission } from "./permissions.ts";
import { issueSecret } from "./token-secret.ts";

const PASSWORD = "correct horse battery staple";

const unauthorized = (pattern: RegExp) => (e: unknown) =>
  e instanceof RampartError && e.code === "unauthorized" && e.status === 401 && pattern.test(e.message);
const ended = (pattern: RegExp) => (e: unknown) =>
  e instanceof RampartError && e.code === "session_ended" && e.status === 401 && pattern.test(e.message);

describe("identity: users, tokens, sessions", () => {
  let f: AccessFixture;
  let verifications = 0;
  before(async () => {
    f = await accessFixture({
      sessionTimeouts: { idleMs: 30 * 60_000, absoluteMs: 8 * 3_600_000 },
      throttle: new LoginThrottle({ perUser: 5, perAddress: 20, windowMs: 15 * 60_000 }),
      verifyPassword: (hash, password) => {
        verifications++;
        return verifyPassword(hash, password);
      },
    });
    await f.users.add({ name: "alice", email: "alice@example.com", password: PASSWORD }, "local");
    await f.users.grant("alice", { role: "developer", env: "staging" }, "local");
  });
  after(() => f.close());

  it("the credentials file's token is the local root, compared in constant time whatever the length", async () => {
    const caller = await f.authenticator.authenticate(f.bearer(LOCAL_TOKEN));
    assert.equal(caller.actor, "local");
    assert.equal(caller.principal.kind, "root");
    for (const candidate of ["", "x", LOCAL_TOKEN.slice(0, -1), `${LOCAL_TOKEN}x`, "y".repeat(10_000)])
      assert.equal(isLocalToken(candidate, LOCAL_TOKEN), false);
    assert.equal(isLocalToken("", ""), false, "no credentials file: nothing is root");
  });

  it("a personal token acts as its owner with the owner's roles; its use is recorded without an event", async () => {
    const { token, view } = await f.tokens.create({ name: "laptop", user: "alice" }, "local");
    assert.match(token, /^rampart_pat_[A-Za-z0-9_-]{43}$/);
    const caller = await f.authenticator.authenticate(f.bearer(token, "10.0.0.7"));
    assert.equal(caller.actor, "alice");
    assert.deepEqual(caller.principal.grants, [{ role: "developer", env: "staging" }]);
    const listed = (await f.tokens.list()).find((t) => t.id === view.id);
    assert.equal(listed?.lastUsedFrom, "10.0.0.7");
    assert.equal(listed?.lastUsedAt, f.clock.now());
  });

  it("wrong, malformed, expired and revoked tokens are 401s that say which, never echoing the value", async () => {
    const unknown = issueSecret("pat").secret;
    await assert.rejects(f.authenticator.authenticate(f.bearer(unknown)), unauthorized(/not known/));
    await assert.rejects(f.authenticator.authenticate(f.bearer("rampart_pat_short")), unauthorized(/malformed/));
    await assert.rejects(f.authenticator.authenticate(f.bearer("hunter2")), unauthorized(/malformed/));
    await assert.rejects(f.authenticator.authenticate({ ...f.bearer(""), authorization: undefined }), unauthorized(/no credentials/));
    const expiring = await f.tokens.create({ name: "short", user: "alice", expiresInMs: 60_000 }, "local");
    await f.authenticator.authenticate(f.bearer(expiring.token));
    f.clock.advance(60_000);
    await assert.rejects(f.authenticator.authenticate(f.bearer(expiring.token)), (e: unknown) => {
      assert.ok(unauthorized(/short \(id \d+\) expired at/)(e));
      assert.ok(!(e as Error).message.includes(expiring.token));
      assert.match((e as RampartError).hint, /rampart token create/);
      return true;
    });
    const revoked = await f.tokens.create({ name: "gone", user: "alice" }, "local");
    await f.tokens.revoke(revoked.view.id, "local");
    await assert.rejects(f.authenticator.authenticate(f.bearer(revoked.token)), unauthorized(/gone \(id \d+\) was revoked/));
    await assert.rejects(f.tokens.revoke(revoked.view.id, "local"), (e: RampartError) => e.code === "token_revoked");
  });

  it("a service token acts as svc:NAME with its own roles and apps, and is listed in the grants", async () => {
    const ci = await f.tokens.create({ name: "ci", grants: [{ role: "deployer", env: "production" }], apps: ["web"] }, "local");
    assert.match(ci.token, /^rampart_svc_/);
    const caller = await f.authenticator.authenticate(f.bearer(ci.token));
    assert.equal(caller.actor, "svc:ci");
    assert.equal(caller.principal.kind, "service");
    assert.deepEqual(caller.principal.grants, [{ role: "deployer", env: "production" }]);
    assert.deepEqual(caller.principal.apps, ["web"]);
    // What the permission check (src/access/permissions.ts) makes of it: production deploys of web, nothing else.
    const ask = (permission: Permission, env: string, app: string) =>
      decide(caller.principal, { permission, env, app, isProtected: env === "production", now: f.clock.now() }).allowed;
    assert.equal(ask("deploy", "production", "web"), true);
    assert.equal(ask("deploy", "production", "api"), false, "another app");
    assert.equal(ask("deploy", "staging", "web"), false, "another environment");
    assert.equal(ask("logs.read", "production", "web"), false, "another permission");
    assert.ok((await f.users.grants()).some((g) => g.subject === "svc:ci" && g.role === "deployer"));
    await assert.rejects(
      f.tokens.create({ name: "ci", grants: [{ role: "viewer", env: "staging" }] }, "local"),
      (e: RampartError) => e.code === "token_exists",
    );
    await assert.rejects(f.tokens.create({ name: "none" }, "local"), (e: RampartError) => e.code === "invalid_request");
  });

  it("a login starts a session; a session held before the login is not valid after it; logout ends it", async () => {
    const first = await f.sessions.login({ user: "alice", password: PASSWORD, address: "10.0.0.1" });
    assert.match(first.token, /^rampart_ses_/);
    assert.equal((await f.authenticator.authenticate(f.bearer(first.token))).via, "session");
    const second = await f.sessions.login({ user: "alice", password: PASSWORD, address: "10.0.0.1", previous: first.token });
    await assert.rejects(f.authenticator.authenticate(f.bearer(first.token)), unauthorized(/not valid/));
    const cookie = await f.authenticator.authenticate({
      authorization: undefined,
      cookie: `theme=dark; rampart_session=${second.token}`,
      address: "x",
      tls: true,
    });
    assert.equal(cookie.actor, "alice");
    assert.equal(await f.sessions.endSession(second.token, "alice", "logged out"), true);
    await assert.rejects(f.authenticator.authenticate(f.bearer(second.token)), unauthorized(/not valid/));
  });

  it("a change of roles ends the user's sessions (a new id on every privilege change), and the next request says why", async () => {
    const session = await f.sessions.login({ user: "alice", password: PASSWORD, address: "10.0.0.1" });
    await f.users.grant("alice", { role: "viewer", env: "production" }, "local");
    await assert.rejects(
      f.authenticator.authenticate(f.bearer(session.token)),
      ended(/^your session ended at \d{4}-.*Z: local made you viewer in production/),
    );
    const again = await f.sessions.login({ user: "alice", password: PASSWORD, address: "10.0.0.1" });
    await f.users.revoke("alice", { role: "viewer", env: "production" }, "local");
    await assert.rejects(f.authenticator.authenticate(f.bearer(again.token)), ended(/local revoked your role viewer in production/));
    // Kept a week: an ending older than that is swept by the next one, and its session is then only "not valid".
    const later = await f.sessions.login({ user: "alice", password: PASSWORD, address: "10.0.0.1" });
    f.clock.advance(8 * 86_400_000);
    await f.users.grant("alice", { role: "viewer", env: "production" }, "local");
    await f.users.revoke("alice", { role: "viewer", env: "production" }, "local");
    await assert.rejects(f.authenticator.authenticate(f.bearer(session.token)), unauthorized(/not valid/));
    await assert.rejects(f.authenticator.authenticate(f.bearer(later.token)), ended(/made you viewer in production/));
  });

  it("sessions time out when idle and at their absolute limit, on the server", async () => {
    const idle = await f.sessions.login({ user: "alice", password: PASSWORD, address: "10.0.0.1" });
    f.clock.advance(29 * 60_000);
    await f.authenticator.authenticate(f.bearer(idle.token));
    f.clock.advance(30 * 60_000);
    await assert.rejects(f.authenticator.authenticate(f.bearer(idle.token)), unauthorized(/expired \(idle for 30 min\)/));
    const busy = await f.sessions.login({ user: "alice", password: PASSWORD, address: "10.0.0.1" });
    for (let i = 0; i < 16; i++) {
      f.clock.advance(29 * 60_000);
      await f.authenticator.authenticate(f.bearer(busy.token));
    }
    f.clock.advance(29 * 60_000);
    await assert.rejects(f.authenticator.authenticate(f.bearer(busy.token)), unauthorized(/expired \(older than 8 h\)/));
  });

  it("an unknown user and a wrong password get the same answer, and both cost an argon2 check", async () => {
    const before = verifications;
    const wrong = await f.sessions.login({ user: "alice", password: "not the password", address: "10.0.0.9" }).catch((e: Error) => e);
    const unknown = await f.sessions.login({ user: "mallory", password: "not the password", address: "10.0.0.9" }).catch((e: Error) => e);
    assert.ok(wrong instanceof RampartError && unknown instanceof RampartError);
    assert.deepEqual([wrong.code, wrong.message, wrong.hint], [unknown.code, unknown.message, unknown.hint]);
    assert.equal(verifications - before, 2);
  });

  it("brute force: the 6th failure in the window is a 429 before any argon2 work, even with the right password", async () => {
    await f.users.add({ name: "bob", password: PASSWORD }, "local");
    for (let i = 0; i < 5; i++)
      await assert.rejects(
        f.sessions.login({ user: "bob", password: `guess number ${i}`, address: `10.1.0.${i}` }),
        unauthorized(/wrong user name or password/),
      );
    const before = verifications;
    await assert.rejects(f.sessions.login({ user: "bob", password: PASSWORD, address: "10.1.0.99" }), (e: RampartError) => {
      assert.equal(e.code, "too_many_logins");
      assert.equal(e.status, 429);
      assert.ok((e.details as { retryAfterSeconds: number }).retryAfterSeconds > 0);
      return true;
    });
    assert.equal(verifications, before, "no argon2 work for a throttled attempt");
    f.clock.advance(15 * 60_000);
    assert.equal((await f.sessions.login({ user: "bob", password: PASSWORD, address: "10.1.0.99" })).user, "bob");
  });

  it("just-in-time grants come from the TimedGrantSource at every request, for people and service tokens", async () => {
    const asked: string[] = [];
    const source: TimedGrantSource = {
      activeGrants: (principal, now) => {
        asked.push(`${principal.kind}:${principal.name}`);
        return principal.name === "gina" ? [{ role: "operator", env: "production", until: now + 60_000, requestId: 7 }] : [];
      },
      onGrantEnded: () => () => undefined,
    };
    const g = await accessFixture({ timedGrants: () => source });
    try {
      await g.users.add({ name: "gina" }, "local");
      const { token } = await g.tokens.create({ name: "t", user: "gina" }, "local");
      const caller = await g.authenticator.authenticate(g.bearer(token));
      assert.deepEqual(caller.principal.timed, [{ role: "operator", env: "production", until: g.clock.now() + 60_000, requestId: 7 }]);
      const ci = await g.tokens.create({ name: "ci", grants: [{ role: "deployer", env: "staging" }] }, "local");
      assert.deepEqual((await g.authenticator.authenticate(g.bearer(ci.token))).principal.timed, []);
      assert.deepEqual(asked, ["user:gina", "service:svc:ci"]);
    } finally {
      await g.close();
    }
  });

  it("a login re-hashes a password stored with older argon2 parameters", async () => {
    const g = await accessFixture({ argon2: { memoryKiB: 19_456, passes: 2, parallelism: 1 } });
    try {
      const { hashPassword } = await import("./password.ts");
      const old = await hashPassword(PASSWORD, { memoryKiB: 8_192, passes: 1, parallelism: 1 });
      await g.users.add({ name: "carol" }, "local");
      await g.events.transact(async (trx, emit) => {
        await trx
          .withTables<{ users: { name: string; password_hash: string | null } }>()
          .updateTable("users")
          .set({ password_hash: old })
          .where("name", "=", "carol")
          .execute();
        await emit({ type: "user.updated", message: "test: an old hash" });
      });
      await g.sessions.login({ user: "carol", password: PASSWORD, address: "a" });
      const events = await g.events.query({ type: "user.updated", limit: 10 });
      assert.ok(events.some((e) => e.data.rehashed === true));
      const row = await g.database.db
        .withTables<{ users: { name: string; password_hash: string | null } }>()
        .selectFrom("users")
        .select("password_hash")
        .where("name", "=", "carol")
        .executeTakeFirstOrThrow();
      assert.match(row.password_hash ?? "", /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      assert.deepEqual(g.database.audit?.violations, []);
    } finally {
      await g.close();
    }
  });

  it("a password change ends the user's sessions; the old password no longer logs in", async () => {
    await f.users.add({ name: "erin", password: PASSWORD }, "local");
    const session = await f.sessions.login({ user: "erin", password: PASSWORD, address: "10.4.0.1" });
    await assert.rejects(f.users.update("erin", { password: "short" }, "local"), (e: RampartError) => e.code === "invalid_request");
    await f.users.update("erin", { password: "a brand new passphrase", email: "erin@example.com" }, "local");
    await assert.rejects(f.authenticator.authenticate(f.bearer(session.token)), ended(/your password was changed by local/));
    await assert.rejects(f.sessions.login({ user: "erin", password: PASSWORD, address: "10.4.0.1" }), unauthorized(/wrong user name/));
    assert.equal((await f.sessions.login({ user: "erin", password: "a brand new passphrase", address: "10.4.0.1" })).user, "erin");
    assert.equal((await f.users.get("erin")).email, "erin@example.com");
  });

  it("OIDC: an external user is created or updated with exactly the provider's grants, and gets a session", async () => {
    await f.users.upsertExternalUser({ name: "dana", email: "dana@example.com", grants: [{ role: "viewer", env: "*" }] }, "oidc");
    const session = await f.sessionIssuer.startSession("dana", "oidc");
    assert.equal((await f.authenticator.authenticate(f.bearer(session.token))).actor, "dana");
    await f.externalUsers.upsertExternalUser(
      { name: "dana", email: "dana@example.com", grants: [{ role: "operator", env: "staging" }] },
      "oidc",
    );
    assert.deepEqual((await f.users.get("dana")).grants, [{ role: "operator", env: "staging" }]);
    assert.equal((await f.users.get("dana")).source, "oidc");
    await assert.rejects(
      f.authenticator.authenticate(f.bearer(session.token)),
      ended(/your roles at the identity provider changed/),
      "a change of roles ends the session",
    );
    await assert.rejects(
      f.sessions.login({ user: "dana", password: "any password at all", address: "10.3.0.1" }),
      unauthorized(/wrong user name/),
    );
  });

  it("removing a user revokes their tokens and ends their sessions; every change was an event, none with a secret", async () => {
    const { token } = await f.tokens.create({ name: "desk", user: "bob" }, "local");
    const session = await f.sessions.login({ user: "bob", password: PASSWORD, address: "10.2.0.1" });
    await f.users.remove("bob", "local");
    await assert.rejects(f.authenticator.authenticate(f.bearer(token)), unauthorized(/revoked/));
    await assert.rejects(f.authenticator.authenticate(f.bearer(session.token)), ended(/your user was removed by local/));
    assert.deepEqual(f.database.audit?.violations, []);
    const all = JSON.stringify(await f.events.query({ limit: 10_000 }));
    for (const secret of [token, session.token, PASSWORD, "$argon2id$"])
      assert.equal(all.includes(secret), false, `${secret.slice(0, 12)} in an event`);
  });
});
