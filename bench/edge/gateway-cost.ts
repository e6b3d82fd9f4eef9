import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importJWK, jwtVerify } from "jose";
import { AccessLog, formatEntry, type AccessEntry } from "../../src/edge/access-log.ts";
import { compileTable, type CompiledApp } from "../../src/edge/compiled-table.ts";
import { GatewayAuth, sha256 } from "../../src/edge/gateway-auth.ts";
import { parseJwks } from "../../src/edge/jwks-cache.ts";
import { DEFAULT_LEEWAY_SEC, verifyJwt } from "../../src/edge/jwt-verify.ts";
import type { EdgeAuth, RoutingTable } from "../../src/edge/routing-table.types.ts";
import { claimsFor, jwksOf, makeKey, signToken, type TestKey } from "../../src/testing/jwt-fixtures.ts";

/**
 * `npm run bench:gateway` (node bench/edge/gateway-cost.ts): what the edge's authentication and access log cost per request, in
 * one process, on the code the edge runs (gateway-auth.ts, jwt-verify.ts, access-log.ts). Requests look like an
 * API call with a bearer token among ten headers. "Cached" is the edge's path for a token it verified before (a
 * Map lookup by the token, then exp/nbf against the clock); "uncached" verifies the signature (every token is
 * new). jose (already a dependency) is measured for comparison only. Prints a Markdown table (docs/benchmarks.md
 * "Edge: authentication and access log" quotes a run).
 */

const ISSUER = "https://id.example.com/";
const AUDIENCE = "shop";
const API_KEY = "rk_bench_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";
const dir = mkdtempSync(join(tmpdir(), "rampart-gateway-bench-"));

const es = makeKey("ES256", "es");
const rs = makeKey("RS256", "rs");
const ed = makeKey("EdDSA", "ed");
const jwksFile = join(dir, "jwks.json");
writeFileSync(jwksFile, JSON.stringify(jwksOf([es, rs, ed])));
const keys = parseJwks(jwksOf([es, rs, ed]));

const BROWSER_HEADERS = [
  "Host",
  "api.example.com",
  "User-Agent",
  "Mozilla/5.0 (X11; Linux x86_64)",
  "Accept",
  "application/json",
  "Accept-Language",
  "en-GB,en;q=0.9",
  "Accept-Encoding",
  "gzip, deflate, br",
  "Connection",
  "keep-alive",
  "Cookie",
  "rampart_sticky=abc123",
  "Sec-Fetch-Mode",
  "cors",
  "Cache-Control",
  "no-cache",
];

function appWith(auth: EdgeAuth | null): { gateway: GatewayAuth; app: CompiledApp } {
  const table: RoutingTable = {
    version: 1,
    environments: [
      {
        name: "production",
        bind: "127.0.0.1",
        port: 8080,
        routes: [{ app: "api", hosts: null, prefix: "/" }],
        apps: [{ name: "api", upstreamTimeoutMs: 1000, releases: [], auth }],
      },
    ],
  };
  const compiled = compileTable(table);
  const gateway = new GatewayAuth();
  gateway.configure(compiled, table);
  const app = compiled.environments[0]?.routes[0]?.app;
  if (app === undefined) throw new Error("the bench table did not compile");
  return { gateway, app };
}

function request(extra: string[]): IncomingMessage {
  return { rawHeaders: [...BROWSER_HEADERS, ...extra], socket: { remoteAddress: "10.0.0.1" } } as unknown as IncomingMessage;
}

interface Cost {
  /** CPU time (user + sys, all threads) per call: what the edge pays; moves little when other work shares the cores. */
  cpuNs: number;
  /** Wall time per call: inflated when the machine is busy. */
  wallNs: number;
}

/** Cost per call of `fn` over calls n/10 … n (the first tenth warms up). */
function time(n: number, fn: (i: number) => void): Cost {
  const warm = Math.floor(n / 10);
  for (let i = 0; i < warm; i++) fn(i);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = warm; i < n; i++) fn(i);
  return cost(cpu, started, n - warm);
}

async function timeAsync(n: number, fn: (i: number) => Promise<unknown>): Promise<Cost> {
  const warm = Math.floor(n / 10);
  for (let i = 0; i < warm; i++) await fn(i);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = warm; i < n; i++) await fn(i);
  return cost(cpu, started, n - warm);
}

function cost(cpuBefore: NodeJS.CpuUsage, started: bigint, calls: number): Cost {
  const cpu = process.cpuUsage(cpuBefore);
  return { cpuNs: ((cpu.user + cpu.system) * 1000) / calls, wallNs: Number(process.hrtime.bigint() - started) / calls };
}

/** A copy the engine has not hashed yet, as each parsed request's header value is. */
function fresh(text: string): string {
  return Buffer.from(text).toString("latin1");
}

function mustPass(outcome: unknown): void {
  if (typeof outcome !== "object" || outcome === null || (outcome as { kind?: string }).kind !== "pass")
    throw new Error(`a bench request was refused: ${JSON.stringify(outcome)}`);
}

const rows: [string, Cost, string][] = [];
const jwtAuth: EdgeAuth = {
  public: ["/healthz"],
  jwt: { jwks: jwksFile, issuer: ISSUER, audience: AUDIENCE, requiredClaims: [] },
  apiKeys: [{ id: "ci", sha256: sha256(API_KEY) }],
};

// Baseline: an app without auth (one WeakMap lookup on the hot path).
{
  const { gateway, app } = appWith(null);
  const req = request([]);
  rows.push([
    "app without auth (the check's cost for everyone else)",
    time(5_000_000, () => mustPass(gateway.check(app, req, "/orders"))),
    "4,500,000",
  ]);
}
{
  const { gateway, app } = appWith(jwtAuth);
  const req = request([]);
  rows.push(["public path (/healthz)", time(2_000_000, () => mustPass(gateway.check(app, req, "/healthz"))), "1,800,000"]);
  const n = 200_000;
  const keyed = Array.from({ length: n }, () => request(["X-Api-Key", fresh(API_KEY)]));
  rows.push([
    "API key (SHA-256 + lookup)",
    time(n, (i) => mustPass(gateway.check(app, keyed[i] as IncomingMessage, "/orders"))),
    "180,000",
  ]);
}

async function cachedRow(key: TestKey): Promise<void> {
  const { gateway, app } = appWith(jwtAuth);
  // A realistic token: ~700 bytes with a few custom claims.
  const token = signToken(
    key,
    claimsFor(ISSUER, AUDIENCE, {
      exp: Math.floor(Date.now() / 1000) + 3600,
      scope: "orders:read orders:write",
      tenant: "acme",
      email: "alice@example.com",
    }),
  );
  mustPass(await gateway.check(app, request(["Authorization", `Bearer ${token}`]), "/orders"));
  // Each request its own copy of the header (as the parser makes), so no string hash is reused.
  const n = 200_000;
  const reqs = Array.from({ length: n }, () => request(["Authorization", fresh(`Bearer ${token}`)]));
  rows.push([
    `${key.alg} token, cached (verified before; ${token.length}-character token)`,
    time(n, (i) => mustPass(gateway.check(app, reqs[i] as IncomingMessage, "/orders"))),
    "180,000",
  ]);
}
await cachedRow(es);
await cachedRow(rs);

const policy = { issuer: ISSUER, audience: AUDIENCE, requiredClaims: [], leewaySec: DEFAULT_LEEWAY_SEC };
for (const key of [es, rs, ed]) {
  const n = 4_000;
  const tokens = Array.from({ length: n + n / 10 }, (_, i) => signToken(key, claimsFor(ISSUER, AUDIENCE, { sub: `user-${i}` })));
  const now = Date.now() / 1000;
  rows.push([
    `${key.alg} token, uncached (signature verified)`,
    time(n, (i) => {
      if (!verifyJwt(tokens[i] as string, keys, policy, now).ok) throw new Error("a bench token did not verify");
    }),
    (n - n / 10).toLocaleString("en"),
  ]);
}
{
  const joseKey = await importJWK(jwksOf([es]).keys[0] as Parameters<typeof importJWK>[0], "ES256");
  const n = 4_000;
  const tokens = Array.from({ length: n + n / 10 }, (_, i) => signToken(es, claimsFor(ISSUER, AUDIENCE, { sub: `user-${i}` })));
  rows.push([
    "for comparison: jose jwtVerify, ES256, uncached (async, WebCrypto)",
    await timeAsync(n, (i) => jwtVerify(tokens[i] as string, joseKey, { issuer: ISSUER, audience: AUDIENCE })),
    (n - n / 10).toLocaleString("en"),
  ]);
}

// The access log: formatting one line, and recording it (buffered, written every 64 kB or second) with the writes.
const entry: AccessEntry = {
  startedAtMs: Date.now(),
  requestId: "0f8fad5b-d9cb-469f-a165-70867728950e",
  method: "GET",
  host: "api.example.com",
  path: "/orders/12345",
  status: 200,
  bytes: 1834,
  durationMs: 2.4561,
  upstreamMs: 1.9873,
  app: "api",
  release: 42,
  instance: "production.api.r42.1",
  client: "203.0.113.7",
  subject: "alice",
};
rows.push(["access log: one JSON line formatted", time(2_000_000, () => void formatEntry(entry)), "1,800,000"]);
{
  const logDir = join(dir, "access");
  const table: RoutingTable = {
    version: 1,
    environments: [
      {
        name: "production",
        bind: "127.0.0.1",
        port: 8080,
        routes: [],
        apps: [],
        accessLog: { dir: logDir, maxBytes: 64 * 1024 * 1024, keep: 2 },
      },
    ],
  };
  const compiled = compileTable(table);
  const log = new AccessLog();
  log.configure(compiled, table);
  const env = compiled.environments[0];
  const envLog = env === undefined ? undefined : log.of(env);
  if (envLog === undefined) throw new Error("the bench access log is not configured");
  const n = 1_000_000;
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    envLog.record(entry);
    // Let the buffered writes complete as the edge's event loop would between requests.
    if (i % 2_000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await log.close();
  const wallNs = Number(process.hrtime.bigint() - started) / n;
  const cpu = process.cpuUsage(cpuBefore);
  const bytes = readdirSync(logDir).reduce((sum, f) => sum + statSync(join(logDir, f)).size, 0);
  rows.push([
    `access log: recorded and written to disk (${Math.round(bytes / n)} bytes a line, 64 kB writes)`,
    { cpuNs: ((cpu.user + cpu.system) * 1000) / n, wallNs },
    n.toLocaleString("en"),
  ]);
}

rmSync(dir, { recursive: true, force: true });

const show = (ns: number): string => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${Math.round(ns)} ns`);
const header = "| what | CPU per request | wall per request | calls measured |\n| --- | ---: | ---: | ---: |";
const table = [header, ...rows.map(([what, c, n]) => `| ${what} | ${show(c.cpuNs)} | ${show(c.wallNs)} | ${n} |`)].join("\n");
process.stdout.write(`${table}\n`);
