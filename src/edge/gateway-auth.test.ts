import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { claimsFor, confusedToken, jwksOf, makeKey, signToken, unsignedToken, type TestKey } from "../testing/jwt-fixtures.ts";
import { compileTable, type CompiledApp } from "./compiled-table.ts";
import { GatewayAuth, isPublic, sha256, type AuthOutcome } from "./gateway-auth.ts";
import { JwksCache } from "./jwks-cache.ts";
import { MAX_TOKEN_LENGTH } from "./jwt-verify.ts";
import type { EdgeAuth, RoutingTable } from "./routing-table.types.ts";

const ISSUER = "https://id.example.com/";
const AUDIENCE = "shop-api";
const API_KEY = "rk_test_0123456789abcdefghijklmnopqrstuv";

let dir: string;
let jwksFile: string;
let es: TestKey;
let rs: TestKey;
let ed: TestKey;
let stranger: TestKey;

function tableWith(auth: EdgeAuth, rateLimit: { perSecond: number; burst: number } | null = null): RoutingTable {
  return {
    version: 1,
    environments: [
      {
        name: "production",
        bind: "127.0.0.1",
        port: 1,
        routes: [{ app: "web", hosts: null, prefix: "/" }],
        apps: [{ name: "web", upstreamTimeoutMs: 1000, releases: [], auth, rateLimit }],
      },
    ],
  };
}

function setUp(auth: Partial<EdgeAuth> = {}, rateLimit: { perSecond: number; burst: number } | null = null) {
  const full: EdgeAuth = {
    public: ["/healthz", "/assets"],
    jwt: { jwks: jwksFile, issuer: ISSUER, audience: AUDIENCE, requiredClaims: [] },
    apiKeys: [{ id: "ci", sha256: sha256(API_KEY) }],
    ...auth,
  };
  const table = tableWith(full, rateLimit);
  const compiled = compileTable(table);
  const gateway = new GatewayAuth();
  gateway.configure(compiled, table);
  const app = compiled.environments[0]?.routes[0]?.app as CompiledApp;
  const check = async (headers: Record<string, string> | string[], target = "/orders"): Promise<AuthOutcome> => {
    const raw = Array.isArray(headers) ? headers : Object.entries(headers).flat();
    return gateway.check(app, { rawHeaders: raw } as unknown as IncomingMessage, target);
  };
  return { gateway, app, check };
}

const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

function assertRefused(outcome: AuthOutcome, status: number, text: RegExp): void {
  assert.equal(outcome.kind, "refuse", JSON.stringify(outcome));
  if (outcome.kind !== "refuse") return;
  assert.equal(outcome.status, status, outcome.message);
  assert.match(outcome.message, text);
  if (status === 401) assert.match(outcome.challenge ?? "", /^Bearer realm="web"/);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "rampart-gateway-"));
  es = makeKey("ES256", "es-1");
  rs = makeKey("RS256", "rs-1");
  ed = makeKey("EdDSA", "ed-1");
  stranger = makeKey("ES256", "es-1");
  jwksFile = join(dir, "jwks.json");
  await writeFile(jwksFile, JSON.stringify(jwksOf([es, rs, ed])));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("gateway auth: valid credentials", () => {
  it("accepts ES256, RS256 and EdDSA tokens and passes their subject", async () => {
    const { check } = setUp();
    for (const key of [es, rs, ed]) {
      const outcome = await check(bearer(signToken(key, claimsFor(ISSUER, AUDIENCE, { sub: `user-${key.alg}` }))));
      assert.deepEqual(outcome, { kind: "pass", subject: `user-${key.alg}`, via: "jwt" });
    }
  });

  it("accepts an audience list, a token within the leeway, and an API key (header or bearer)", async () => {
    const { check } = setUp();
    const now = Math.floor(Date.now() / 1000);
    assert.equal((await check(bearer(signToken(es, claimsFor(ISSUER, AUDIENCE, { aud: ["other", AUDIENCE] }))))).kind, "pass");
    assert.equal((await check(bearer(signToken(es, claimsFor(ISSUER, AUDIENCE, { exp: now - 10 }))))).kind, "pass");
    assert.equal((await check(bearer(signToken(es, claimsFor(ISSUER, AUDIENCE, { nbf: now + 10 }))))).kind, "pass");
    assert.deepEqual(await check({ "X-Api-Key": API_KEY }), { kind: "pass", subject: "apikey:ci", via: "api_key" });
    assert.deepEqual(await check(bearer(API_KEY)), { kind: "pass", subject: "apikey:ci", via: "api_key" });
  });

  it("lets public prefixes through without credentials, on segment boundaries, never for ambiguous paths", async () => {
    const { check } = setUp();
    assert.equal((await check({}, "/healthz")).kind, "pass");
    assert.equal((await check({}, "/assets/app.js?v=2")).kind, "pass");
    assertRefused(await check({}, "/healthzx"), 401, /needs credentials/);
    for (const path of [
      "/assets/../admin",
      "/assets/%2e%2e/admin",
      "/assets%2fadmin",
      "/assets/..%2fadmin",
      "/assets//x",
      "/assets\\..\\admin",
    ]) {
      assert.equal(isPublic(["/assets"], path), false, path);
    }
  });

  it("checks required claims: a valid token without one is 403 insufficient_scope", async () => {
    const { check } = setUp({ jwt: { jwks: jwksFile, issuer: ISSUER, audience: AUDIENCE, requiredClaims: ["tenant"] } });
    assert.equal((await check(bearer(signToken(es, claimsFor(ISSUER, AUDIENCE, { tenant: "acme" }))))).kind, "pass");
    const refused = await check(bearer(signToken(es, claimsFor(ISSUER, AUDIENCE))));
    assertRefused(refused, 403, /required claim tenant/);
    assert.match(refused.kind === "refuse" ? (refused.challenge ?? "") : "", /error="insufficient_scope"/);
  });

  it("limits each subject with the app's rate, beside the limit per address", async () => {
    const { check } = setUp({}, { perSecond: 1, burst: 2 });
    const alice = bearer(signToken(es, claimsFor(ISSUER, AUDIENCE, { sub: "alice" })));
    assert.equal((await check(alice)).kind, "pass");
    assert.equal((await check(alice)).kind, "pass");
    const third = await check(alice);
    assertRefused(third, 429, /from this subject/);
    assert.equal((await check(bearer(signToken(es, claimsFor(ISSUER, AUDIENCE, { sub: "bob" }))))).kind, "pass");
  });
});

describe("gateway auth: attacks", () => {
  const expectInvalid = async (token: string, text: RegExp): Promise<void> => {
    const { check } = setUp();
    const outcome = await check(bearer(token));
    assertRefused(outcome, 401, text);
    if (outcome.kind === "refuse") {
      assert.match(outcome.challenge ?? "", /error="invalid_token"/);
      // Never echoed: not in the message, not in the challenge.
      assert.ok(!outcome.message.includes(token) && !(outcome.challenge ?? "").includes(token));
    }
  };

  it("refuses alg none", () => expectInvalid(unsignedToken(claimsFor(ISSUER, AUDIENCE), es.kid), /alg is not accepted/));
  it("refuses HS256 signed with the RSA public key (algorithm confusion)", () =>
    expectInvalid(confusedToken(rs, claimsFor(ISSUER, AUDIENCE)), /alg is not accepted/));
  it("refuses a token whose alg does not match its key's type", () =>
    expectInvalid(signToken(es, claimsFor(ISSUER, AUDIENCE), { kid: rs.kid, alg: "ES256" }), /verifies RS256, not ES256/));
  it("refuses an expired token (past the leeway)", () =>
    expectInvalid(signToken(es, claimsFor(ISSUER, AUDIENCE, { exp: Math.floor(Date.now() / 1000) - 120 })), /expired/));
  it("refuses a token without exp", () => expectInvalid(signToken(es, claimsFor(ISSUER, AUDIENCE, { exp: undefined })), /no numeric exp/));
  it("refuses a token not yet valid (nbf past the leeway)", () =>
    expectInvalid(signToken(es, claimsFor(ISSUER, AUDIENCE, { nbf: Math.floor(Date.now() / 1000) + 120 })), /not valid yet/));
  it("refuses the wrong audience", () => expectInvalid(signToken(es, claimsFor(ISSUER, "someone-else")), /audience/));
  it("refuses the wrong issuer", () => expectInvalid(signToken(es, claimsFor("https://evil.example/", AUDIENCE)), /issuer/));
  it("refuses a bad signature (same kid, another key)", () => expectInvalid(signToken(stranger, claimsFor(ISSUER, AUDIENCE)), /signature/));
  it("refuses a tampered payload", () => {
    const token = signToken(es, claimsFor(ISSUER, AUDIENCE));
    const [h, , s] = token.split(".");
    const forged = Buffer.from(JSON.stringify(claimsFor(ISSUER, AUDIENCE, { sub: "admin" }))).toString("base64url");
    return expectInvalid(`${h}.${forged}.${s}`, /signature/);
  });
  it("refuses an oversized token before decoding it", () => expectInvalid(`${"a".repeat(MAX_TOKEN_LENGTH)}.b.c`, /longer than/));
  it("refuses malformed base64 and malformed JSON", async () => {
    const { check } = setUp();
    for (const token of ["a.b", "a.b.c.d", "e30.e30.", "eyJhbGciOiJFUzI1NiJ9.e30.sig", "!!!.e30.abc"]) {
      assert.equal((await check(bearer(token))).kind, "refuse", token);
    }
    assertRefused(await check({ Authorization: "Bearer a%b.c.d" }), 401, /base64url/);
    assertRefused(await check({ Authorization: "Bearer a b" }), 401, /not Bearer/);
    assertRefused(await check({ Authorization: "Basic dXNlcjpwYXNz" }), 401, /not Bearer/);
  });
  it("refuses two Authorization headers, or Authorization with X-Api-Key", async () => {
    const { check } = setUp();
    const token = signToken(es, claimsFor(ISSUER, AUDIENCE));
    assertRefused(await check(["Authorization", `Bearer ${token}`, "authorization", "Bearer x.y.z"]), 401, /more than one/);
    assertRefused(await check(["Authorization", `Bearer ${token}`, "X-Api-Key", API_KEY]), 401, /both/);
  });
  it("refuses unknown and revoked API keys, and API keys when the app takes none", async () => {
    assertRefused(await setUp().check({ "X-Api-Key": "rk_nope" }), 401, /unknown or revoked/);
    // Revoked: the control plane pushes the table without its hash; a replay of the old key fails.
    const revoked = setUp({ apiKeys: [] });
    assertRefused(await revoked.check({ "X-Api-Key": API_KEY }), 401, /unknown or revoked/);
    assertRefused(await setUp({ apiKeys: null }).check({ "X-Api-Key": API_KEY }), 401, /not accepted/);
  });
  it("serves a verified token from the cache, and still expires it", async () => {
    let now = Date.now();
    const table = tableWith({ public: [], jwt: { jwks: jwksFile, issuer: ISSUER, audience: AUDIENCE, requiredClaims: [] }, apiKeys: null });
    const compiled = compileTable(table);
    const gateway = new GatewayAuth({ nowMs: () => now });
    gateway.configure(compiled, table);
    const app = compiled.environments[0]?.routes[0]?.app as CompiledApp;
    const token = signToken(es, claimsFor(ISSUER, AUDIENCE, { exp: Math.floor(now / 1000) + 60 }));
    const req = { rawHeaders: ["Authorization", `Bearer ${token}`] } as unknown as IncomingMessage;
    assert.equal((await gateway.check(app, req, "/")).kind, "pass");
    const cached = gateway.check(app, req, "/");
    assert.ok(!(cached instanceof Promise) && cached.kind === "pass", "a known token is answered synchronously");
    now += 120_000;
    const late = await gateway.check(app, req, "/");
    assertRefused(late, 401, /expired/);
  });
});

describe("gateway auth: JWKS from a URL", () => {
  let server: Server;
  let url: string;
  let fetches = 0;
  let published: TestKey[] = [];

  before(async () => {
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(jwksOf(published)));
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  after(() => new Promise<void>((ok) => server.close(() => ok())));

  it("loads on first use, reloads for a rotated kid, and an unknown-kid flood costs one fetch per interval", async () => {
    published = [es];
    fetches = 0;
    let clock = 0;
    const table = tableWith({ public: [], jwt: { jwks: url, issuer: ISSUER, audience: AUDIENCE, requiredClaims: [] }, apiKeys: null });
    const compiled = compileTable(table);
    const gateway = new GatewayAuth({ jwks: (source) => new JwksCache(source, { now: () => clock, log: () => {} }) });
    gateway.configure(compiled, table);
    const app = compiled.environments[0]?.routes[0]?.app as CompiledApp;
    const call = (token: string) =>
      gateway.check(app, { rawHeaders: ["Authorization", `Bearer ${token}`] } as unknown as IncomingMessage, "/");
    assert.equal((await call(signToken(es, claimsFor(ISSUER, AUDIENCE)))).kind, "pass");
    assert.equal(fetches, 1);
    // Rotation: the provider publishes a new key; the first token naming it triggers one reload.
    clock += 31_000;
    const rotated = makeKey("ES256", "es-2");
    published = [es, rotated];
    assert.equal((await call(signToken(rotated, claimsFor(ISSUER, AUDIENCE)))).kind, "pass");
    assert.equal(fetches, 2);
    // A flood of made-up kids within the interval: refused without another fetch.
    const outcomes = await Promise.all(
      Array.from({ length: 500 }, (_, i) => call(signToken(makeKeyCached(), claimsFor(ISSUER, AUDIENCE), { kid: `forged-${i}` }))),
    );
    assert.ok(outcomes.every((o) => o.kind === "refuse" && o.status === 401));
    assert.equal(fetches, 2, "no fetch for an unknown kid within 30 s of the last load");
    clock += 31_000;
    await call(signToken(es, claimsFor(ISSUER, AUDIENCE), { kid: "forged-after" }));
    assert.equal(fetches, 3, "one fetch once the interval has passed");
  });

  it("answers 503 while no keys could ever be loaded", async () => {
    const table = tableWith({
      public: [],
      jwt: { jwks: "http://127.0.0.1:1/jwks.json", issuer: ISSUER, audience: AUDIENCE, requiredClaims: [] },
      apiKeys: null,
    });
    const compiled = compileTable(table);
    const gateway = new GatewayAuth({ jwks: (source) => new JwksCache(source, { log: () => {} }) });
    gateway.configure(compiled, table);
    const app = compiled.environments[0]?.routes[0]?.app as CompiledApp;
    const outcome = await gateway.check(
      app,
      { rawHeaders: ["Authorization", `Bearer ${signToken(es, claimsFor(ISSUER, AUDIENCE))}`] } as unknown as IncomingMessage,
      "/",
    );
    assertRefused(outcome, 503, /signing keys/);
  });
});

let floodKey: TestKey | undefined;
function makeKeyCached(): TestKey {
  floodKey ??= makeKey("ES256", "flood");
  return floodKey;
}
