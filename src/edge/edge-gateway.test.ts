import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import type { IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { claimsFor, confusedToken, jwksOf, makeKey, signToken, unsignedToken, type TestKey } from "../testing/jwt-fixtures.ts";
import { waitFor } from "../shared/wait.ts";
import { sha256 } from "./gateway-auth.ts";
import type { EdgeEnvironment, RoutingTable } from "./routing-table.types.ts";
import {
  app,
  environment,
  freePort,
  httpRequest,
  makeDataDir,
  release,
  route,
  startEdge,
  startUpstream,
  type EdgeProcess,
  type Upstream,
} from "./edge-test-harness.ts";
import { stopGracefully } from "./edge-stream-harness.ts";

const ISSUER = "https://id.example.com/";
const AUDIENCE = "shop";
const API_KEY = "rk_e2e_secret_0123456789abcdefghijklmnop";

/**
 * The gateway through a real edge (two workers): the app only ever sees authenticated requests, carrying the
 * subject the edge verified; the client's own subject header never arrives; the access log records each request.
 */
describe("edge gateway (auth + access log)", () => {
  let edge: EdgeProcess | undefined;
  let port = 0;
  let up: Upstream | undefined;
  let key: TestKey;
  let rsa: TestKey;
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  let logDir = "";

  before(async () => {
    const dataDir = await makeDataDir();
    edge = await startEdge(dataDir);
    port = await freePort();
    key = makeKey("ES256", "k1");
    rsa = makeKey("RS256", "r1");
    const jwks = join(dataDir, "jwks.json");
    await writeFile(jwks, JSON.stringify(jwksOf([key, rsa])));
    logDir = join(dataDir, "logs", "edge-access", "test");
    up = await startUpstream("app", (req, res) => {
      seen.push({ url: req.url ?? "", headers: req.headers });
      req.resume();
      req.on("end", () => res.end(JSON.stringify({ subject: req.headers["x-rampart-subject"] ?? null })));
    });
    const web = {
      ...app("web", [release(1, 1, [up])]),
      auth: {
        public: ["/healthz"],
        jwt: { jwks, issuer: ISSUER, audience: AUDIENCE, requiredClaims: [] },
        apiKeys: [{ id: "ci", sha256: sha256(API_KEY) }],
      },
    };
    const open = app("open", [release(1, 1, [up])]);
    const env: EdgeEnvironment = {
      ...environment("test", port, [route("web", "/"), route("open", "/open")], [web, open]),
      accessLog: { dir: logDir, maxBytes: 4096, keep: 3 },
    };
    const table: RoutingTable = { version: 1, environments: [env] };
    assert.deepEqual((await edge.client.putTable(table)).errors, []);
  });
  after(async () => {
    await up?.close();
    await stopGracefully(edge);
  });

  test("unauthenticated and forged requests are answered by the edge; the app never sees them", async () => {
    const before = seen.length;
    const none = await httpRequest(port, "/orders");
    assert.equal(none.status, 401);
    assert.equal(none.headers["www-authenticate"], 'Bearer realm="web"');
    const forged = [
      unsignedToken(claimsFor(ISSUER, AUDIENCE), "k1"),
      confusedToken(rsa, claimsFor(ISSUER, AUDIENCE)),
      signToken(key, claimsFor(ISSUER, AUDIENCE, { exp: Math.floor(Date.now() / 1000) - 3600 })),
      signToken(key, claimsFor(ISSUER, "other")),
      signToken(key, claimsFor(ISSUER, AUDIENCE), { kid: "unknown" }),
      "not-a-token",
    ];
    for (const token of forged) {
      const reply = await httpRequest(port, "/orders", { headers: { authorization: `Bearer ${token}` } });
      assert.equal(reply.status, 401, reply.body);
      assert.match(String(reply.headers["www-authenticate"]), /error="invalid_token"/);
      assert.ok(!reply.body.includes(token) && !String(reply.headers["www-authenticate"]).includes(token), "the token is never echoed");
    }
    const badKey = await httpRequest(port, "/orders", { headers: { "x-api-key": "rk_guess" } });
    assert.equal(badKey.status, 401);
    assert.equal(seen.length, before, "no refused request reached the app");
    // A WebSocket upgrade without credentials is refused the same way, before any instance is contacted.
    const raw = await new Promise<string>((ok, fail) => {
      const socket = connect(port, "127.0.0.1", () =>
        socket.write(
          "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        ),
      );
      let text = "";
      socket.on("data", (c: Buffer) => (text += c.toString()));
      socket.on("end", () => ok(text));
      socket.on("error", fail);
    });
    assert.match(raw, /^HTTP\/1\.1 401 /);
    assert.match(raw, /www-authenticate: Bearer realm="web"/i);
    assert.equal(seen.length, before);
  });

  test("a valid token or API key reaches the app with the verified subject; a client's own subject header never does", async () => {
    const token = signToken(key, claimsFor(ISSUER, AUDIENCE, { sub: "alice" }));
    const reply = await httpRequest(port, "/orders?x=1", { headers: { authorization: `Bearer ${token}`, "x-rampart-subject": "admin" } });
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body), { subject: "alice" });
    const viaKey = await httpRequest(port, "/orders", { headers: { "x-api-key": API_KEY, "X-Rampart-Subject": "admin" } });
    assert.deepEqual(JSON.parse(viaKey.body), { subject: "apikey:ci" });
    const viaBearerKey = await httpRequest(port, "/orders", { headers: { authorization: `Bearer ${API_KEY}` } });
    assert.deepEqual(JSON.parse(viaBearerKey.body), { subject: "apikey:ci" });
    // The key is not forwarded (apps log headers); a JWT is (apps may read its claims).
    const keyed = seen.slice(-2);
    assert.ok(keyed.every((s) => s.headers["x-api-key"] === undefined && s.headers.authorization === undefined));
    assert.equal(seen.at(-3)?.headers.authorization, `Bearer ${token}`);
    // Public paths and apps without auth: through without credentials, and a forged subject is still dropped.
    const health = await httpRequest(port, "/healthz", { headers: { "x-rampart-subject": "admin" } });
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { subject: null });
    const open = await httpRequest(port, "/open/x", { headers: { "x-rampart-subject": "admin" } });
    assert.deepEqual(JSON.parse(open.body), { subject: null });
  });

  test("the access log has one JSON line per request, without query strings or credentials, rotated by size", async () => {
    const token = signToken(key, claimsFor(ISSUER, AUDIENCE, { sub: "bob" }));
    for (let i = 0; i < 40; i++) await httpRequest(port, `/items/${i}?secret=s3cr3t`, { headers: { authorization: `Bearer ${token}` } });
    const lines = await waitFor(
      async () => {
        const all = await readLog(logDir);
        return all.filter((l) => l.path.startsWith("/items/")).length >= 40 ? all : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, onTimeout: () => new Error("the access log did not get 40 /items lines within 10 s") },
    );
    const item = lines.find((l) => l.path === "/items/7");
    assert.ok(item !== undefined);
    assert.equal(item.method, "GET");
    assert.equal(item.status, 200);
    assert.equal(item.subject, "bob");
    assert.equal(item.app, "web");
    assert.equal(item.release, 1);
    assert.equal(item.instance, "app");
    assert.equal(item.client, "127.0.0.1");
    assert.ok(item.bytes > 0 && item.duration_ms >= 0 && typeof item.upstream_ms === "number" && typeof item.request_id === "string");
    assert.ok(!Number.isNaN(Date.parse(item.time)));
    const refused = lines.find((l) => l.status === 401);
    assert.ok(refused !== undefined && refused.upstream_ms === null && refused.subject === null);
    const text = (await Promise.all((await readdir(logDir)).map((f) => readFile(join(logDir, f), "utf8")))).join("");
    assert.ok(!text.includes("s3cr3t") && !text.includes(token) && !text.includes(API_KEY), "no query string, token or key in the log");
    const files = await readdir(logDir);
    assert.ok(
      files.some((f) => /^access-\d+-\d+\.log$/.test(f)),
      `rotated at 4 kB: ${files.join(" ")}`,
    );
    assert.ok(files.filter((f) => /^access-\d+-\d+\.log$/.test(f)).length <= 3, "at most `keep` rotated files");
  });
});

interface LogLine {
  time: string;
  request_id: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  duration_ms: number;
  upstream_ms: number | null;
  app: string;
  release: number;
  instance: string;
  client: string;
  subject: string | null;
}

async function readLog(dir: string): Promise<LogLine[]> {
  const out: LogLine[] = [];
  let files: string[] = [];
  try {
    files = await readdir(dir);
  } catch {
    return out;
  }
  for (const file of files) {
    const text = await readFile(join(dir, file), "utf8");
    for (const line of text.split("\n")) if (line !== "") out.push(JSON.parse(line) as LogLine);
  }
  return out;
}
