import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { platformRig } from "../testing/platform-rig.ts";
import { runCli } from "../testing/rampart-process.ts";
import { filesUnder, fileTexts, secretHits, scannedCaller } from "../testing/secret-scan.ts";

const ALICE_PASSWORD = "alice-correct-horse-battery";
const BOB_PASSWORD = "bob-correct-horse-battery";

/**
 * Users, tokens and sessions through a real `rampart up`: every secret handed out is remembered, and at the end
 * no response body (other than the one that handed it out), event, file under the data dir or CLI error holds it.
 */
describe("identity through a real `rampart up`", () => {
  const rig = platformRig({ project: { instances: 1 } });
  const secrets = new Set<string>([ALICE_PASSWORD, BOB_PASSWORD]);
  const seen: string[] = [];
  const cli = (args: string[], options: { env?: Record<string, string>; input?: string } = {}) => {
    const result = runCli([...args, "--data", rig.project.dataDir], options);
    seen.push(result.stderr);
    return result;
  };
  /** A request whose answer is scanned at the end, unless it is the one answer that hands a secret out. */
  const call = scannedCaller(() => rig.up.client.baseUrl, seen);
  const login = async (user: string, password: string, cookie?: string) => {
    const answer = await call("POST", "/api/v1/auth/login", { body: { user, password }, cookie, handsOut: true });
    if (answer.status === 200) secrets.add(String(answer.json().token));
    return answer;
  };

  it("rampart user add --password-stdin, role grant, list: the local credentials file acts as `local`", async () => {
    const added = cli(["user", "add", "alice", "--email", "alice@example.com", "--password-stdin"], { input: `${ALICE_PASSWORD}\n` });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /user alice added/);
    assert.equal(cli(["user", "add", "bob", "--password-stdin"], { input: BOB_PASSWORD }).code, 0);
    const weak = cli(["user", "add", "carol", "--password-stdin"], { input: "short" });
    assert.notEqual(weak.code, 0);
    assert.match(weak.stderr, /at least 12 characters/);
    assert.equal(cli(["role", "grant", "alice", "developer", "--env", "staging"]).code, 0);
    const users = JSON.parse(cli(["user", "list", "--json"]).stdout) as { users: Array<{ name: string; grants: unknown[] }> };
    assert.deepEqual(users.users.find((u) => u.name === "alice")?.grants, [{ role: "developer", env: "staging" }]);
    const roles = JSON.parse(cli(["role", "list", "--json"]).stdout) as { grants: Array<{ subject: string; createdBy: string }> };
    assert.deepEqual(
      roles.grants.map((g) => [g.subject, g.createdBy]),
      [["alice", "local"]],
    );
    const events = await rig.up.client.events({ type: "user.", limit: 10 });
    assert.deepEqual(
      events.map((e) => [e.type, e.actor]),
      [
        ["user.added", "local"],
        ["user.added", "local"],
      ],
    );
    const me = JSON.parse(cli(["whoami", "--json"]).stdout) as { actor: string; kind: string };
    assert.deepEqual([me.actor, me.kind], ["local", "root"]);
  });

  it("login sets an HttpOnly, SameSite=Strict session cookie; the session works as cookie and as bearer; logout ends it", async () => {
    const answer = await login("alice", ALICE_PASSWORD);
    assert.equal(answer.status, 200, answer.text);
    const { token, user, expiresAt } = answer.json();
    assert.equal(user, "alice");
    assert.match(String(token), /^rampart_ses_/);
    assert.ok(Number(expiresAt) > Date.now());
    const cookie = answer.headers.get("set-cookie") ?? "";
    assert.match(cookie, /^rampart_session=rampart_ses_[A-Za-z0-9_-]{43}; /);
    for (const flag of ["HttpOnly", "SameSite=Strict", "Path=/"]) assert.ok(cookie.split("; ").includes(flag), `${flag} in ${cookie}`);
    assert.ok(!cookie.includes("Secure"), "no Secure flag over plain HTTP");
    const viaCookie = await call("GET", "/api/v1/auth/whoami", { cookie: `rampart_session=${token}` });
    assert.deepEqual([viaCookie.json().actor, viaCookie.json().via], ["alice", "session"]);
    // alice holds developer in staging only: a read scoped to staging (status needs read in every environment).
    const viaBearer = await call("GET", "/api/v1/events?env=staging", { token: String(token) });
    assert.equal(viaBearer.status, 200);

    const logout = await call("POST", "/api/v1/auth/logout", { cookie: `rampart_session=${token}`, body: {} });
    assert.equal(logout.status, 200);
    assert.match(logout.headers.get("set-cookie") ?? "", /^rampart_session=; .*Max-Age=0/);
    const after = await call("GET", "/api/v1/auth/whoami", { cookie: `rampart_session=${token}` });
    assert.equal(after.status, 401);
  });

  it("session fixation: a session held before a login is not valid after it", async () => {
    const first = String((await login("alice", ALICE_PASSWORD)).json().token);
    const second = await login("alice", ALICE_PASSWORD, `rampart_session=${first}`);
    assert.equal(second.status, 200);
    assert.notEqual(second.json().token, first);
    assert.equal((await call("GET", "/api/v1/auth/whoami", { token: first })).status, 401);
    assert.equal((await call("GET", "/api/v1/auth/whoami", { token: String(second.json().token) })).status, 200);
  });

  it("a person creates their own personal token with `rampart token create --name N`; the local root cannot own one", async () => {
    const session = String((await login("alice", ALICE_PASSWORD)).json().token);
    const own = cli(["token", "create", "--name", "mine", "--expires", "1d"], { env: { RAMPART_TOKEN: session } });
    assert.equal(own.code, 0, own.stderr);
    const token = own.stdout.split("\n")[0] ?? "";
    secrets.add(token);
    assert.match(token, /^rampart_pat_/);
    assert.match(own.stdout, /acts as alice/);
    const me = JSON.parse(cli(["whoami", "--json"], { env: { RAMPART_TOKEN: token } }).stdout) as { actor: string; token: string };
    assert.deepEqual([me.actor, me.token], ["alice", "mine"]);
    const root = cli(["token", "create", "--name", "mine"]);
    assert.equal(root.code, 1);
    assert.match(root.stderr, /only users own personal tokens/);
  });

  it("a service token is printed once with how to use it, acts as svc:NAME with its scope, and is listed with its last use", async () => {
    const created = cli([
      "token",
      "create",
      "--name",
      "ci",
      "--role",
      "deployer",
      "--env",
      "production",
      "--app",
      "web",
      "--expires",
      "30d",
    ]);
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.split("\n")[0] ?? "";
    assert.match(token, /^rampart_svc_[A-Za-z0-9_-]{43}$/);
    secrets.add(token);
    assert.match(created.stdout, /will not be shown again/);
    assert.match(created.stdout, new RegExp(`RAMPART_TOKEN=${token}`));
    const me = JSON.parse(cli(["whoami", "--json"], { env: { RAMPART_TOKEN: token } }).stdout) as Record<string, unknown>;
    assert.deepEqual(
      [me.actor, me.kind, me.via, me.token, me.apps, me.grants],
      ["svc:ci", "service", "token", "ci", ["web"], [{ role: "deployer", env: "production" }]],
    );
    const listed = JSON.parse(cli(["token", "list", "--json"]).stdout) as {
      tokens: Array<{ name: string; lastUsedAt: number | null; lastUsedFrom: string | null; hint: string }>;
    };
    const ci = listed.tokens.find((t) => t.name === "ci");
    assert.ok(ci?.lastUsedAt, "last use recorded");
    assert.equal(ci?.lastUsedFrom, "127.0.0.1");
    const table = cli(["token", "list"]);
    assert.match(table.stdout, /svc:ci\s+deployer@production/);
    seen.push(table.stdout, JSON.stringify(listed));
  });

  it("wrong, malformed and revoked tokens are 401s naming which, with the command to fix it, never echoing the value", async () => {
    const personal = await call("POST", "/api/v1/tokens", { token: localToken(), body: { name: "laptop", user: "alice" }, handsOut: true });
    assert.equal(personal.status, 201, personal.text);
    const { token, view } = personal.json() as { token: string; view: { id: number } };
    secrets.add(token);
    assert.equal((await call("GET", "/api/v1/auth/whoami", { token })).json().actor, "alice");
    const wrong = `${token.slice(0, -4)}AAAA`;
    const cases: Array<[string, RegExp]> = [
      [wrong, /not known/],
      ["rampart_pat_tooshort", /malformed/],
      ["not-a-token-at-all", /malformed/],
    ];
    for (const [candidate, message] of cases) {
      const answer = await call("GET", "/api/v1/status", { token: candidate });
      assert.equal(answer.status, 401, candidate);
      const error = answer.json().error as { code: string; message: string; hint: string };
      assert.equal(error.code, "unauthorized");
      assert.match(error.message, message);
      assert.ok(!answer.text.includes(candidate), "the value is not echoed");
    }
    assert.equal(cli(["token", "revoke", String(view.id)]).code, 0);
    const revoked = await call("GET", "/api/v1/status", { token });
    assert.equal(revoked.status, 401);
    assert.match(revoked.text, /laptop \(id \d+\) was revoked at .*rampart token create/);
    const cliRevoked = cli(["status"], { env: { RAMPART_TOKEN: token } });
    assert.equal(cliRevoked.code, 1);
    assert.match(cliRevoked.stderr, /was revoked/);
  });

  it("brute force: the 6th failed login in the window is a 429 with Retry-After, even with the right password", async () => {
    for (let i = 0; i < 5; i++) assert.equal((await login("bob", `wrong guess ${i}`)).status, 401);
    const unknownUser = await login("nobody", "wrong guess");
    const wrongPassword = await login("alice", "wrong guess");
    assert.deepEqual(unknownUser.json(), wrongPassword.json(), "an unknown user and a wrong password get the same answer");
    const throttled = await login("bob", BOB_PASSWORD);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.json().error && (throttled.json().error as { code: string }).code, "too_many_logins");
    assert.ok(Number(throttled.headers.get("retry-after")) > 0);
  });

  it("role revoke, user remove: the grant and the user go; an existing name and an unknown user are clear 4xx", async () => {
    assert.equal(cli(["role", "revoke", "alice", "developer", "--env", "staging"]).code, 0);
    assert.deepEqual(
      (JSON.parse(cli(["role", "list", "--json"]).stdout) as { grants: Array<{ subject: string }> }).grants.map((g) => g.subject),
      ["svc:ci"],
    );
    const again = cli(["user", "add", "alice"]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /a user named alice already exists/);
    assert.equal(cli(["user", "remove", "bob"]).code, 0);
    const gone = cli(["user", "remove", "bob"]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /user bob not found[\s\S]*rampart user list/);
    const types = (await rig.up.client.events({ limit: 1000 })).map((e) => `${e.type}:${e.actor}`);
    for (const expected of [
      "role.revoked:local",
      "user.removed:local",
      "token.created:local",
      "token.created:alice",
      "session.started:alice",
      "session.ended:alice",
    ])
      assert.ok(types.includes(expected), `${expected} in ${types.join(" ")}`);
  });

  it("no token, session id or password appears in any other answer, event, file under the data dir or CLI error", async () => {
    const events = await call("GET", "/api/v1/events?limit=10000", { token: localToken() });
    assert.equal(events.status, 200);
    const files = filesUnder(rig.project.dataDir).filter((f) => !f.endsWith("credentials.json"));
    assert.ok(files.some((f) => f.endsWith("rampart.db")));
    const haystacks = [...seen, events.text, ...fileTexts(files), rig.up.output()];
    assert.ok(secrets.size >= 6, `${secrets.size} secrets handed out`);
    const hits = secretHits(secrets, haystacks);
    assert.deepEqual(hits, []);
    // And every change (users, roles, tokens, sessions) was written with its event.
    rig.events.assertNoViolations();
  });

  function localToken(): string {
    return (JSON.parse(readFileSync(join(rig.project.dataDir, "credentials.json"), "utf8")) as { token: string }).token;
  }
});
