import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { after, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AuditedRequest, RequestAuditor, TimedGrantSource } from "../access/caller.ts";
import { FakeAuthenticator } from "../access/fake-authenticator.ts";
import { localTokenAuthenticator } from "../access/local-authenticator.ts";
import type { Principal, Role, TimedGrant } from "../access/permissions.ts";
import type { ErrorCode } from "../shared/error-catalogue.ts";
import { waitFor } from "../shared/wait.ts";
import { buildApiServer, type ProtocolPlugin } from "./api-server.ts";
import { defineRoute } from "./route-definition.ts";
import { defineStreamRoute } from "./stream-route.ts";

const NOW = 1_800_000_000_000;

const until = (condition: () => boolean, timeoutMs: number, what: string) =>
  waitFor(() => (condition() ? true : undefined), {
    timeoutMs,
    intervalMs: 20,
    onTimeout: () => new Error(`${what}: not within ${timeoutMs} ms`),
  });
const person = (name: string, grants: Principal["grants"], kind: Principal["kind"] = "user"): Principal => ({
  kind,
  name,
  grants,
  timed: [],
  apps: null,
});

/** Records what the API server tells it; `failing` makes every attempt throw (the audit log cannot be written). */
class FakeAuditor implements RequestAuditor {
  readonly attempts: AuditedRequest[] = [];
  readonly outcomes: { id: number; status: number; error: ErrorCode | null }[] = [];
  readonly denials: { request: AuditedRequest; status: number; error: ErrorCode }[] = [];
  failing = false;

  async attempt(request: AuditedRequest): Promise<number> {
    if (this.failing) throw new Error("disk full");
    this.attempts.push(request);
    return this.attempts.length;
  }
  async outcome(id: number, result: { status: number; error: ErrorCode | null }): Promise<void> {
    this.outcomes.push({ id, ...result });
  }
  async denied(request: AuditedRequest, result: { status: number; error: ErrorCode }): Promise<void> {
    this.denials.push({ request, ...result });
  }
}

class FakeGrants implements TimedGrantSource {
  grants: (TimedGrant & { name: string })[] = [];
  readonly #listeners = new Set<(ended: { name: string; role: Role; env: string; requestId: number }) => void>();

  activeGrants(principal: { name: string }, now: number): TimedGrant[] {
    return this.grants.filter((g) => g.name === principal.name && g.until > now);
  }
  onGrantEnded(listener: (ended: { name: string; role: Role; env: string; requestId: number }) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  revoke(requestId: number): void {
    const ended = this.grants.find((g) => g.requestId === requestId);
    this.grants = this.grants.filter((g) => g.requestId !== requestId);
    if (ended) for (const l of this.#listeners) l(ended);
  }
}

function server(options: { auditor?: RequestAuditor; grants?: TimedGrantSource; clock?: { now(): number }; token?: string }) {
  const fake = new FakeAuthenticator([
    ["root", { kind: "root", name: "local", grants: [], timed: [], apps: null }],
    ["dana", person("dana", [{ role: "developer", env: "*" }])],
    ["vic", person("vic", [{ role: "viewer", env: "*" }])],
    ["ci", person("ci", [{ role: "deployer", env: "production" }], "service")],
    ["olga", person("olga", [{ role: "viewer", env: "production" }])],
    ["pat", person("pat", [])],
  ]);
  const ran: string[] = [];
  const envApp = z.object({ env: z.string(), app: z.string() });
  const routes = [
    defineRoute({
      method: "POST",
      path: "/api/v1/envs/:env/apps/:app/releases",
      summary: "deploy",
      tag: "t",
      permission: "deploy",
      params: envApp,
      body: z.strictObject({ note: z.string().optional() }),
      response: z.object({ ok: z.boolean() }),
      handler: async ({ actor }) => {
        ran.push(`deploy by ${actor}`);
        return { ok: true };
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/envs/:env/apps/:app/releases",
      summary: "list",
      tag: "t",
      permission: "read",
      params: envApp,
      response: z.object({ ok: z.boolean() }),
      handler: async () => ({ ok: true }),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/shutdown",
      summary: "stop",
      tag: "t",
      permission: "platform.manage",
      response: z.object({ ok: z.boolean() }),
      handler: async () => ({ ok: true }),
    }),
  ];
  const streams = [
    defineStreamRoute({
      path: "/api/v1/envs/:env/apps/:app/logs/stream",
      summary: "tail",
      tag: "t",
      permission: "logs.read",
      params: envApp,
      handler: async (_request, sink) => {
        sink.send("line", { text: "hello" });
        await new Promise<void>((resolve) => sink.closed.addEventListener("abort", () => resolve()));
      },
    }),
  ];
  const metricsPlugin: ProtocolPlugin = (app, access) => {
    app.get("/metrics", async (request) => {
      await access.require(request, { permission: "read" });
      return "up 1\n";
    });
  };
  const app = buildApiServer({
    routes,
    streams,
    protocols: [metricsPlugin],
    authenticator: options.token ? localTokenAuthenticator(options.token) : fake,
    protection: { isProtected: (env) => env === "production" },
    auditor: options.auditor,
    grants: options.grants,
    clock: options.clock ?? { now: () => NOW },
    version: "test",
    dataDir: "/tmp",
  });
  const call = (method: "GET" | "POST", url: string, token?: string, payload?: unknown) =>
    app.inject({ method, url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, payload: payload as object });
  return { app, call, ran, fake };
}

describe("the API's access check", () => {
  it("401 for no or an unknown credential, 403 for a known caller without the permission, 2xx with it", async () => {
    const { call } = server({});
    assert.equal((await call("POST", "/api/v1/envs/staging/apps/shop/releases", undefined, {})).statusCode, 401);
    assert.equal((await call("POST", "/api/v1/envs/staging/apps/shop/releases", "nobody", {})).statusCode, 401);
    assert.equal((await call("POST", "/api/v1/envs/staging/apps/shop/releases", "vic", {})).statusCode, 403);
    assert.equal((await call("POST", "/api/v1/envs/staging/apps/shop/releases", "dana", {})).statusCode, 200);
    assert.equal((await call("POST", "/api/v1/envs/production/apps/shop/releases", "ci", {})).statusCode, 200);
    assert.equal((await call("POST", "/api/v1/envs/staging/apps/shop/releases", "ci", {})).statusCode, 403, "CI holds production only");
    // 403 comes before validation: a caller without access learns nothing about the body it would need.
    assert.equal((await call("POST", "/api/v1/envs/staging/apps/shop/releases", "vic", { bad: 1 })).statusCode, 403);
    assert.equal((await call("GET", "/metrics", "vic")).statusCode, 200, "protocol endpoint: read in every environment");
    assert.equal((await call("GET", "/metrics", "olga")).statusCode, 403, "protocol endpoint: read in production only is not enough");
    assert.equal((await call("GET", "/metrics")).statusCode, 401);
    assert.equal((await call("GET", "/api/v1/openapi.json")).statusCode, 401);
    assert.equal((await call("GET", "/api/v1/openapi.json", "olga")).statusCode, 200);
  });

  it("a 403 names the permission, why, the roles granting it and the command that would grant it", async () => {
    const { call } = server({});
    const denied = (await call("POST", "/api/v1/envs/production/apps/shop/releases", "dana", {})).json();
    assert.equal(denied.error.code, "forbidden");
    assert.match(denied.error.message, /dana lacks permission deploy in production for app shop/);
    assert.match(denied.error.message, /production is protected: standing access stops at viewer/);
    assert.match(denied.error.message, /roles granting it: developer, deployer, operator, admin/);
    assert.match(denied.error.message, /rampart access request --role developer --env production --for 1h --reason "…"/);
    assert.equal(denied.error.hint, 'rampart access request --role developer --env production --for 1h --reason "…"');
    assert.equal(denied.error.details.permission, "deploy");

    const platform = (await call("POST", "/api/v1/shutdown", "dana", {})).json();
    assert.match(platform.error.message, /lacks permission platform\.manage in every environment/);
    assert.match(platform.error.message, /ask an admin to run: rampart role grant dana admin --env '\*'/);
  });

  it("a just-in-time grant allows while it lasts, and not a moment after", async () => {
    let now = NOW;
    const grants = new FakeGrants();
    grants.grants.push({ name: "dana", role: "developer", env: "production", until: NOW + 60_000, requestId: 7 });
    const { call } = server({ grants, clock: { now: () => now } });
    const deploy = () => call("POST", "/api/v1/envs/production/apps/shop/releases", "dana", {});
    assert.equal((await deploy()).statusCode, 200);
    now = NOW + 60_000;
    const after = await deploy();
    assert.equal(after.statusCode, 403);
    assert.match(after.json().error.message, /rampart access request --role developer --env production/);
  });

  it("records what changes something: attempt before the handler, outcome after, denials; GETs that reveal nothing are not recorded", async () => {
    const auditor = new FakeAuditor();
    const { call, ran } = server({ auditor });
    assert.equal((await call("POST", "/api/v1/envs/staging/apps/shop/releases?token=secret", "dana", {})).statusCode, 200);
    assert.deepEqual(auditor.attempts, [
      {
        actor: "dana",
        address: "127.0.0.1",
        method: "POST",
        route: "/api/v1/envs/:env/apps/:app/releases",
        path: "/api/v1/envs/staging/apps/shop/releases",
        permission: "deploy",
        env: "staging",
        app: "shop",
      },
    ]);
    await until(() => auditor.outcomes.length === 1, 2_000, "the outcome is recorded");
    assert.deepEqual(auditor.outcomes, [{ id: 1, status: 200, error: null }]);

    assert.equal((await call("POST", "/api/v1/envs/staging/apps/shop/releases", "dana", { bad: 1 })).statusCode, 400);
    await until(() => auditor.outcomes.length === 2, 2_000, "the failed request's outcome is recorded");
    assert.deepEqual(auditor.outcomes[1], { id: 2, status: 400, error: "invalid_request" });

    await call("POST", "/api/v1/envs/production/apps/shop/releases", "dana", {});
    await call("POST", "/api/v1/envs/production/apps/shop/releases", "forged", {});
    assert.deepEqual(
      auditor.denials.map((d) => [d.request.actor, d.status, d.error, d.request.env]),
      [
        ["dana", 403, "forbidden", "production"],
        ["anonymous", 401, "unauthorized", "production"],
      ],
    );
    await call("GET", "/api/v1/envs/staging/apps/shop/releases", "dana");
    assert.equal(auditor.attempts.length, 2, "a GET that reveals nothing is not recorded");
    assert.deepEqual(ran, ["deploy by dana"]);
  });

  it("refuses the action when its audit record cannot be written (503 audit_unavailable, the handler does not run)", async () => {
    const auditor = new FakeAuditor();
    auditor.failing = true;
    const { call, ran } = server({ auditor });
    const answer = await call("POST", "/api/v1/envs/staging/apps/shop/releases", "dana", {});
    assert.equal(answer.statusCode, 503);
    assert.equal(answer.json().error.code, "audit_unavailable");
    assert.deepEqual(ran, []);
    assert.equal((await call("GET", "/api/v1/envs/staging/apps/shop/releases", "dana")).statusCode, 200, "reads go on");
  });
});

describe("forged, malformed and oversized credentials", () => {
  const TOKEN = "t".repeat(43);
  const { app, call } = server({ token: TOKEN });
  after(() => app.close());

  it("refuses each with a 401 whose body holds no credential value", async () => {
    const marker = "SeCrEtMaRkEr";
    const forged = [
      "",
      "Bearer",
      "Bearer ",
      `Bearer  ${TOKEN}`,
      `bearer ${TOKEN}`,
      `Basic ${Buffer.from(`local:${TOKEN}`).toString("base64")}`,
      `Bearer ${TOKEN} `,
      `Bearer ${TOKEN}${marker}`,
      `Bearer ${TOKEN.slice(0, -1)}u`,
      `Bearer ${marker}${"x".repeat(8_000)}`,
      `Bearer ${marker}\u00e9\u00e9`,
      `Token ${marker}`,
    ];
    for (const authorization of forged) {
      const answer = await app.inject({
        method: "POST",
        url: "/api/v1/envs/staging/apps/shop/releases",
        headers: { authorization },
        payload: {},
      });
      assert.equal(answer.statusCode, 401, JSON.stringify(authorization.slice(0, 40)));
      assert.equal(answer.json().error.code, "unauthorized");
      assert.ok(!answer.body.includes(marker), `the 401 repeats what was sent: ${answer.body}`);
      assert.ok(!answer.body.includes(TOKEN.slice(0, 20)), "the 401 holds the token");
    }
    const ok = await call("POST", "/api/v1/envs/production/apps/shop/releases", TOKEN, {});
    assert.equal(ok.statusCode, 200, "the credentials token acts as local with full access, protected environments included");
    assert.ok(!ok.body.includes(TOKEN));
  });

  it("answers a header over Node's limit with 431 and keeps serving", async () => {
    await app.listen({ host: "127.0.0.1", port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    // A raw socket: Node answers 431 and closes while the client may still be writing (a reset is expected then).
    const status = (authorization: string) =>
      new Promise<number>((resolve) => {
        let answer = "";
        const socket = connect(port, "127.0.0.1", () => {
          socket.end(
            `GET /api/v1/envs/staging/apps/shop/releases HTTP/1.1\r\nhost: x\r\nauthorization: ${authorization}\r\nconnection: close\r\n\r\n`,
          );
        });
        socket.setEncoding("utf8");
        socket.on("data", (chunk: string) => {
          answer += chunk;
        });
        const done = () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0));
        socket.on("close", done);
        socket.on("error", done);
      });
    assert.equal(await status(`Bearer ${"x".repeat(64 * 1024)}`), 431);
    assert.equal(await status(`Bearer ${TOKEN}`), 200);
  });
});

describe("open streams", () => {
  const openStream = async (app: FastifyInstance, token: string) => {
    await app.listen({ host: "127.0.0.1", port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    let text = "";
    let ended = false;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        { host: "127.0.0.1", port, path: "/api/v1/envs/production/apps/shop/logs/stream", headers: { authorization: `Bearer ${token}` } },
        (res) => {
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () => {
            ended = true;
          });
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
    return { status, text: () => text, ended: () => ended };
  };

  it("closes a stream within a second of its caller's grant being revoked", async () => {
    const grants = new FakeGrants();
    grants.grants.push({ name: "pat", role: "operator", env: "production", until: Date.now() + 3_600_000, requestId: 9 });
    const { app } = server({ grants, clock: { now: () => Date.now() } });
    try {
      const stream = await openStream(app, "pat");
      assert.equal(stream.status, 200);
      await until(() => stream.text().includes("hello"), 5_000, "the first line");
      grants.revoke(9);
      const revokedAt = Date.now();
      await until(() => stream.ended(), 2_000, "the stream ends once the grant is revoked");
      assert.ok(Date.now() - revokedAt < 1_000, `closed after ${Date.now() - revokedAt} ms`);
      assert.match(stream.text(), /event: error\ndata: \{"code":"forbidden","message":"pat lacks permission logs\.read in production/);
    } finally {
      await app.close();
    }
  });

  it("closes a stream once its caller's grant runs out, without being told (the re-check every second)", async () => {
    const grants = new FakeGrants();
    const endsAt = Date.now() + 1_500;
    grants.grants.push({ name: "pat", role: "operator", env: "production", until: endsAt, requestId: 10 });
    const { app } = server({ grants, clock: { now: () => Date.now() } });
    try {
      const stream = await openStream(app, "pat");
      assert.equal(stream.status, 200);
      await until(() => stream.ended(), 5_000, "the stream ends after the grant's time");
      assert.ok(Date.now() - endsAt < 1_500, `closed ${Date.now() - endsAt} ms after the grant's end`);
    } finally {
      await app.close();
    }
  });

  it("a stream refuses a caller without the permission at open (403) and one whose credential is revoked later", async () => {
    const { app, fake } = server({ clock: { now: () => Date.now() } });
    try {
      const refused = await app.inject({
        method: "GET",
        url: "/api/v1/envs/production/apps/shop/logs/stream",
        headers: { authorization: "Bearer ci" },
      });
      assert.equal(refused.statusCode, 403);
      const stream = await openStream(app, "olga");
      assert.equal(stream.status, 200);
      fake.delete("olga");
      await until(() => stream.ended(), 3_000, "the stream ends once the token is gone");
      assert.match(stream.text(), /"code":"unauthorized"/);
    } finally {
      await app.close();
    }
  });
});
