import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { buildApiServer } from "../api/api-server.ts";
import { defineRoute } from "../api/route-definition.ts";
import { freePort } from "../testing/free-port.ts";
import { startTestProvider, TestBrowser, type TestProvider } from "../testing/oidc-provider.fixture.ts";
import { waitFor } from "../shared/wait.ts";
import type { ExternalUsers, SessionIssuer } from "./caller.ts";
import { createOidc } from "./oidc.module.ts";
import { localTokenAuthenticator } from "./local-authenticator.ts";
import { systemClock } from "../shared/clock.ts";
import type { OidcSettings } from "./oidc-settings.ts";
import type { RoleGrant } from "./permissions.ts";

const SECRET = `client-secret-${randomBytes(12).toString("hex")}`;
const OTHER_SECRET = `other-secret-${randomBytes(12).toString("hex")}`;
const CLI = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
const healthRoute = defineRoute({
  method: "GET",
  path: "/api/v1/health",
  summary: "health",
  tag: "test",
  auth: false,
  response: z.object({ ok: z.literal(true), version: z.string(), pid: z.number() }),
  handler: async () => ({ ok: true as const, version: "test", pid: process.pid }),
});
const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), hint: z.string() }) });

/** Fakes of identity's seams (src/access/caller.ts): sessions handed out and users recorded, for the test to read. */
class FakeIdentity implements SessionIssuer, ExternalUsers {
  readonly sessions: { user: string; how: string; token: string }[] = [];
  readonly users: { name: string; email: string | null; grants: RoleGrant[]; actor: string }[] = [];
  async startSession(user: string, how: "password" | "oidc") {
    const token = `rampart_ses_${randomBytes(32).toString("base64url")}`;
    this.sessions.push({ user, how, token });
    return { token, expiresAt: Date.now() + 8 * 3600_000 };
  }
  async upsertExternalUser(user: { name: string; email: string | null; grants: RoleGrant[] }, actor: string) {
    this.users.push({ ...user, actor });
  }
}

describe("OpenID Connect login against a real provider (oidc-provider)", () => {
  let provider: TestProvider;
  let api: FastifyInstance;
  let base: string;
  let callback: string;
  const identity = new FakeIdentity();
  const bodies: string[] = [];
  let oidc: ReturnType<typeof createOidc>;

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    callback = `${base}/api/v1/auth/oidc/callback`;
    provider = await startTestProvider({
      clients: [
        { id: "rampart", secret: SECRET, redirectUri: callback },
        { id: "other", secret: OTHER_SECRET, redirectUri: callback },
      ],
      groups: { alice: ["ops", "devs", "unmapped"], bob: [] },
    });
    const settings: OidcSettings = {
      issuer: provider.issuer,
      clientId: "rampart",
      clientSecretEnv: "TEST_OIDC_SECRET",
      groupsClaim: "groups",
      scopes: ["openid", "profile", "email", "groups"],
      redirectUri: null,
      roles: {
        ops: [{ role: "operator", env: "production" }],
        devs: [
          { role: "developer", env: "staging" },
          { role: "operator", env: "production" },
        ],
      },
    };
    oidc = createOidc({ settings: () => settings, sessions: identity, users: identity, env: { TEST_OIDC_SECRET: SECRET } });
    api = buildApiServer({
      routes: [...(oidc.routes ?? []), healthRoute],
      streams: [],
      protocols: oidc.protocols ?? [],
      authenticator: localTokenAuthenticator(randomBytes(32).toString("base64url")),
      protection: { isProtected: () => false },
      clock: systemClock,
      version: "test",
      dataDir: mkdtempSync(join(tmpdir(), "rampart-oidc-")),
    });
    await api.listen({ host: "127.0.0.1", port });
  });
  after(async () => {
    await api.close();
    await provider.close();
  });

  const text = async (response: Response) => {
    const body = await response.text();
    bodies.push(body, JSON.stringify([...response.headers].filter(([k]) => k !== "set-cookie")));
    return body;
  };
  const refusal = async (response: Response) => errorBody.parse(JSON.parse(await text(response))).error;

  /** A browser's login through Rampart's start route, up to the provider's redirect back (not followed). */
  const loginToCallback = async (browser: TestBrowser, user = "alice") => {
    const start = await browser.fetch(`${base}/api/v1/auth/oidc/start`);
    assert.equal(start.status, 302);
    return browser.loginUntil(start.headers.get("location") ?? "", user, callback);
  };

  it("redirects to the provider with state, nonce and an S256 code challenge", async () => {
    const response = await new TestBrowser().fetch(`${base}/api/v1/auth/oidc/start`);
    assert.equal(response.status, 302);
    const url = new URL(response.headers.get("location") ?? "");
    assert.equal(url.origin, provider.issuer);
    assert.equal(url.searchParams.get("client_id"), "rampart");
    assert.equal(url.searchParams.get("redirect_uri"), callback);
    assert.equal(url.searchParams.get("code_challenge_method"), "S256");
    assert.match(url.searchParams.get("code_challenge") ?? "", /^[\w-]{43}$/);
    assert.match(url.searchParams.get("state") ?? "", /^[\w-]{43}$/);
    assert.match(url.searchParams.get("nonce") ?? "", /^[\w-]{43}$/);
  });

  it("logs a user in: groups mapped to grants, a session started, an HttpOnly cookie set, back to /", async () => {
    const browser = new TestBrowser();
    const back = await loginToCallback(browser);
    const response = await browser.fetch(back);
    await text(response);
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), "/");
    const session = identity.sessions.at(-1);
    assert.deepEqual({ user: session?.user, how: session?.how }, { user: "alice", how: "oidc" });
    const cookie = response.headers.getSetCookie()[0] ?? "";
    assert.match(cookie, new RegExp(`^rampart_session=${session?.token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=\\d+$`));
    const user = identity.users.at(-1);
    assert.equal(user?.name, "alice");
    assert.equal(user?.email, "alice@example.com");
    assert.equal(user?.actor, `oidc:${provider.issuer}`);
    assert.deepEqual(
      user?.grants.map((g) => `${g.role}@${g.env}`).sort(),
      ["developer@staging", "operator@production"],
      "each grant once; an unmapped group gives nothing",
    );

    // The same callback again: its state was single use.
    const replay = await browser.fetch(back);
    assert.equal(replay.status, 400);
    const error = await refusal(replay);
    assert.equal(error.code, "oidc_state_invalid");
    assert.match(error.message, /already used or expired/);
  });

  it("refuses a callback whose state it never issued", async () => {
    const response = await new TestBrowser().fetch(`${callback}?code=abc&state=${"x".repeat(43)}`);
    assert.equal(response.status, 400);
    assert.equal((await refusal(response)).code, "oidc_state_invalid");
  });

  it("refuses an expired authorization code", async () => {
    provider.codeTtl.seconds = 1;
    try {
      const browser = new TestBrowser();
      const back = await loginToCallback(browser);
      const issuedAt = Date.now();
      // The code lives 1 s at the provider: wait until it is surely past.
      await waitFor(() => (Date.now() - issuedAt > 2_100 ? true : undefined), { timeoutMs: 5_000, intervalMs: 100 });
      const response = await browser.fetch(back);
      assert.equal(response.status, 401);
      const error = await refusal(response);
      assert.equal(error.code, "oidc_login_failed");
      assert.match(error.message, /the provider refused the authorization code: invalid_grant/);
    } finally {
      provider.codeTtl.seconds = 60;
    }
  });

  /** Rampart's start, for a valid state (and its stored verifier), without going to the provider. */
  const rampartState = async () => {
    const start = await new TestBrowser().fetch(`${base}/api/v1/auth/oidc/start`);
    return new URL(start.headers.get("location") ?? "").searchParams.get("state") ?? "";
  };

  /** An authorization request straight at the provider, as an attacker would make one, with Rampart's state. */
  const providerFlow = async (params: Record<string, string>) => {
    const url = new URL(`${provider.issuer}/auth`);
    for (const [k, v] of Object.entries({ response_type: "code", scope: "openid", redirect_uri: callback, nonce: "n", ...params }))
      url.searchParams.set(k, v);
    const browser = new TestBrowser();
    return { browser, back: await browser.loginUntil(url.toString(), "alice", callback) };
  };

  it("refuses a code issued to another client", async () => {
    const state = await rampartState();
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const { browser, back } = await providerFlow({ client_id: "other", state, code_challenge: challenge, code_challenge_method: "S256" });
    assert.ok(new URL(back).searchParams.get("code"), "the provider issued a code to the other client");
    const response = await browser.fetch(back);
    assert.equal(response.status, 401);
    const error = await refusal(response);
    assert.equal(error.code, "oidc_login_failed");
    assert.match(error.message, /refused the authorization code: invalid_grant/);
  });

  it("refuses a login made without PKCE", async () => {
    const state = await rampartState();
    const { browser, back } = await providerFlow({ client_id: "rampart", state });
    const response = await browser.fetch(back);
    assert.equal(response.status, 401);
    const error = await refusal(response);
    assert.equal(error.code, "oidc_login_failed");
    assert.match(error.message, /the provider refused the login: invalid_request \(.*PKCE/i);
  });

  /** A real ID token from the provider for `client`, with a nonce this test chose. */
  const realIdToken = async (client: string, secret: string, nonce: string) => {
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const { back } = await providerFlow({ client_id: client, state: "s", nonce, code_challenge: challenge, code_challenge_method: "S256" });
    const code = new URL(back).searchParams.get("code") ?? "";
    const answer = await fetch(`${provider.issuer}/token`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${client}:${secret}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: callback, code_verifier: verifier }),
    });
    return z.object({ id_token: z.string() }).parse(await answer.json()).id_token;
  };

  it("checks the ID token's signature, nonce and audience on the provider's real tokens", async () => {
    const idToken = await realIdToken("rampart", SECRET, "the-nonce");
    assert.equal((await oidc.service.verifyIdToken(idToken, "the-nonce")).sub, "alice");
    await assert.rejects(oidc.service.verifyIdToken(idToken, "another-nonce"), /nonce is not the one this login sent/);
    const [head, payload, signature] = idToken.split(".");
    await assert.rejects(
      oidc.service.verifyIdToken(`${head}.${payload}.${signature?.slice(0, -4)}AAAA`, "the-nonce"),
      /ID token is not valid/,
    );
    const forOther = await realIdToken("other", OTHER_SECRET, "the-nonce");
    await assert.rejects(oidc.service.verifyIdToken(forOther, "the-nonce"), /ID token is not valid: .*"aud"/);
  });

  it("hands a CLI login's session to the CLI's poll, once", async () => {
    const started = z.object({ pollId: z.string(), url: z.string() });
    const start = await fetch(`${base}/api/v1/auth/oidc/cli`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ api: base }),
    });
    const { pollId, url } = started.parse(JSON.parse(await text(start)));
    assert.ok(!url.includes(pollId), "the URL the user opens does not carry the poll id");
    const poll = async () =>
      fetch(`${base}/api/v1/auth/oidc/cli/poll`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ pollId }),
      });
    assert.deepEqual(JSON.parse(await text(await poll())), { status: "pending" });

    const browser = new TestBrowser();
    const back = await browser.loginUntil(url, "alice", callback);
    const page = await browser.fetch(back);
    assert.equal(page.status, 200);
    assert.match(await text(page), /Logged in as alice/);
    assert.deepEqual(page.headers.getSetCookie(), [], "the browser gets no session: the CLI does");

    const done = await poll();
    const session = z.object({ status: z.literal("done"), token: z.string(), user: z.string() }).parse(await done.json());
    assert.equal(session.user, "alice");
    assert.equal(session.token, identity.sessions.at(-1)?.token);
    const again = await poll();
    assert.equal(again.status, 400);
    assert.equal((await refusal(again)).code, "oidc_state_invalid");
    // The link was single use too.
    const reused = await browser.fetch(url);
    assert.equal(reused.status, 400);
    assert.equal((await refusal(reused)).code, "oidc_state_invalid");
  });

  it("rampart login URL --oidc prints a URL, waits for the browser, and keeps the session as a context", async () => {
    const config = mkdtempSync(join(tmpdir(), "rampart-oidc-cli-"));
    const child = spawn(process.execPath, [CLI, "login", base, "--oidc", "--name", "sso"], {
      cwd: config,
      env: { ...process.env, XDG_CONFIG_HOME: config, RAMPART_API: "", RAMPART_TOKEN: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, "exit");
    try {
      const url = await waitFor(() => /https?:\/\/\S+\/api\/v1\/auth\/oidc\/start\?cli=\S+/.exec(stderr)?.[0], {
        timeoutMs: 60_000,
        onTimeout: () => new Error(`no URL printed: ${stderr}`),
      });
      const browser = new TestBrowser();
      const back = await browser.loginUntil(url, "alice", callback);
      assert.equal((await browser.fetch(back)).status, 200);
      const [code] = await exited;
      assert.equal(code, 0, stderr);
    } finally {
      if (child.exitCode === null) child.kill();
    }
    assert.match(stdout, /logged in to http:\/\/127\.0\.0\.1:\d+ as alice; context sso is current/);
    const stored = JSON.parse(readFileSync(join(config, "rampart", "contexts.json"), "utf8"));
    assert.equal(stored.contexts[0].token, identity.sessions.at(-1)?.token);
    assert.equal(stored.contexts[0].via, "session");
    bodies.push(stdout, stderr);
  });

  it("never put a session token or the client secret in a body or an error", () => {
    const secrets = [SECRET, OTHER_SECRET, ...identity.sessions.map((s) => s.token)];
    for (const body of bodies) for (const secret of secrets) assert.ok(!body.includes(secret), "a secret leaked into a response");
  });
});
