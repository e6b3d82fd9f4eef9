import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { operationsOf } from "../access/access-doc.ts";
import { apiCatalogue } from "../daemon/api-catalogue.ts";
import { readCredentials } from "../daemon/credentials.ts";
import type { RampartEvent } from "../events/event.types.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import { killPlatform, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { buildOpenApiDocument } from "./openapi.ts";

interface Answer {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
}

interface ErrorBody {
  error: { code: string; message: string; hint?: string; details?: unknown };
}

type Method = "GET" | "POST" | "PUT" | "DELETE";

/** Every route the typed client calls, as OpenAPI paths; `stream` ones answer text/event-stream. */
const CLIENT_ROUTES: { method: Method; path: string; stream?: boolean }[] = [
  { method: "GET", path: "/api/v1/status" },
  { method: "POST", path: "/api/v1/envs/{env}/apps/{app}/releases" },
  { method: "POST", path: "/api/v1/envs/{env}/apps/{app}/rollbacks" },
  { method: "GET", path: "/api/v1/envs/{env}/apps/{app}/releases" },
  { method: "GET", path: "/api/v1/envs/{env}/apps/{app}/releases/{number}" },
  { method: "GET", path: "/api/v1/events" },
  { method: "GET", path: "/api/v1/envs/{env}/apps/{app}/logs" },
  { method: "POST", path: "/api/v1/shutdown" },
  { method: "GET", path: "/api/v1/events/stream", stream: true },
  { method: "GET", path: "/api/v1/envs/{env}/apps/{app}/logs/stream", stream: true },
];

const concrete = (path: string) => path.replace("{env}", "staging").replace("{app}", "web").replace("{number}", "1");

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const error = (value as { error: unknown }).error;
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    typeof (error as { message?: unknown }).message === "string"
  );
}

describe("the HTTP API, called directly", () => {
  let project: TestProject;
  let up: RampartUp;
  let base: string;
  let token: string;
  /** Every answer any test got: none may be a 5xx. */
  const seen: { what: string; status: number }[] = [];

  before(async () => {
    project = await createTestProject({ instances: 1 });
    up = await startRampartUp(project);
    base = up.client.baseUrl;
    token = readCredentials(project.dataDir)?.token ?? assert.fail("no credentials");
  });
  after(async () => killPlatform(project.dataDir, up));

  /** One request; the body is sent as is when a string, as JSON otherwise. Streams are read only up to their headers. */
  async function call(
    method: Method,
    path: string,
    options: { auth?: string | null; body?: unknown; contentType?: string; stream?: boolean } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    const auth = options.auth === undefined ? `Bearer ${token}` : options.auth;
    if (auth !== null) headers.authorization = auth;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      headers["content-type"] = options.contentType ?? "application/json";
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 10_000);
    try {
      const response = await fetch(`${base}${path}`, { method, headers, body, signal: controller.signal });
      const contentType = response.headers.get("content-type") ?? "";
      let text = "";
      if (contentType.startsWith("text/event-stream")) controller.abort();
      else text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const what = `${method} ${path} ${body === undefined ? "" : body.slice(0, 60)}`;
      seen.push({ what, status: response.status });
      assert.ok(response.status < 500, `${what} → ${response.status}: ${text.slice(0, 500)}`);
      return { status: response.status, contentType, text, json };
    } finally {
      clearTimeout(timer);
    }
  }

  function expectError(answer: Answer, status: number, code: string): ErrorBody["error"] {
    assert.equal(answer.status, status, answer.text.slice(0, 500));
    assert.match(answer.contentType, /^application\/json/);
    assert.ok(isErrorBody(answer.json), `not {error:{code,message}}: ${answer.text.slice(0, 500)}`);
    assert.equal(answer.json.error.code, code, answer.text.slice(0, 500));
    return answer.json.error;
  }

  function fields(error: ErrorBody["error"]): string[] {
    assert.ok(Array.isArray(error.details), `details list the fields: ${JSON.stringify(error)}`);
    return error.details.map((d: unknown) => String((d as { field?: unknown }).field));
  }

  it("/api/v1/health answers 200 without a token", async () => {
    const answer = await call("GET", "/api/v1/health", { auth: null });
    assert.equal(answer.status, 200);
    assert.deepEqual(Object.keys(answer.json as object).sort(), ["ok", "pid", "version"]);
    assert.equal((answer.json as { ok: unknown }).ok, true);
  });

  it("every other route of the client, without a token or with a wrong one, answers 401 unauthorized", async () => {
    const wrongSameLength = `Bearer ${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    for (const route of CLIENT_ROUTES) {
      for (const auth of [null, "Bearer nope", wrongSameLength, token, `Basic ${Buffer.from(`admin:${token}`).toString("base64")}`]) {
        const answer = await call(route.method, concrete(route.path), { auth, body: route.method === "POST" ? {} : undefined });
        expectError(answer, 401, "unauthorized");
      }
    }
  });

  it("the OpenAPI document needs the token too (only /api/v1/health is open)", async () => {
    expectError(await call("GET", "/api/v1/openapi.json", { auth: null }), 401, "unauthorized");
  });

  it("an unknown route answers 404 JSON", async () => {
    for (const [method, path] of [
      ["GET", "/api/v1/nope"],
      ["GET", "/nope"],
      ["DELETE", "/api/v1/status"],
      ["GET", "/api/v2/status"],
      ["POST", "/api/v1/envs/staging/apps/web"],
    ] as const) {
      expectError(await call(method, path), 404, "not_found");
    }
  });

  it("a deploy body of wrong types or with unknown fields answers 400 invalid_request naming the field", async () => {
    const deploy = "/api/v1/envs/staging/apps/web/releases";
    const strategy = expectError(await call("POST", deploy, { body: { strategy: "sideways" } }), 400, "invalid_request");
    assert.deepEqual(fields(strategy), ["body.strategy"]);
    const source = expectError(await call("POST", deploy, { body: { source: 42 } }), 400, "invalid_request");
    assert.deepEqual(fields(source), ["body.source"]);
    const unknown = expectError(await call("POST", deploy, { body: { bogus: 1 } }), 400, "invalid_request");
    assert.match(`${fields(unknown).join(",")} ${JSON.stringify(unknown.details)}`, /body.*bogus|bogus.*body/s);
    const both = expectError(await call("POST", deploy, { body: { strategy: 7, source: "" } }), 400, "invalid_request");
    assert.deepEqual(fields(both).sort(), ["body.source", "body.strategy"], "every bad field at once");
    const rollback = expectError(
      await call("POST", "/api/v1/envs/staging/apps/web/rollbacks", { body: { to: "one" } }),
      400,
      "invalid_request",
    );
    assert.deepEqual(fields(rollback), ["body.to"]);
    assert.equal((await up.client.releases("staging", "web")).length, 0, "nothing was deployed");
  });

  it("an invalid JSON body answers 400, not 500", async () => {
    const deploy = "/api/v1/envs/staging/apps/web/releases";
    for (const body of ['{"strategy":', "{strategy: rolling}", "\u0000"]) {
      expectError(await call("POST", deploy, { body }), 400, "invalid_request");
    }
  });

  it("a body over 1 MiB answers 413", async () => {
    const body = JSON.stringify({ source: "x".repeat(1024 * 1024 + 16) });
    const answer = await call("POST", "/api/v1/envs/staging/apps/web/releases", { body });
    assert.equal(answer.status, 413, answer.text.slice(0, 300));
    assert.ok(isErrorBody(answer.json), answer.text.slice(0, 300));
  });

  it("after a 413 the rest of the body is read and dropped: the connection stays open and answers the next request", async () => {
    // Closing with the body's rest unread made the kernel reset the connection, which could discard the 413 before a
    // client still writing had read it. Two requests on one connection show the rest was read, not left unread.
    const url = new URL(base);
    const body = Buffer.alloc(3 * 1024 * 1024, "x");
    const head = (method: string, path: string, length: number) =>
      `${method} ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
    const raw = await new Promise<string>((resolve, reject) => {
      let text = "";
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(head("POST", "/api/v1/envs/staging/apps/web/releases", body.length));
        socket.write(body);
        socket.write(head("GET", "/api/v1/health", 0));
      });
      socket.setEncoding("latin1");
      socket.on("data", (chunk: string) => {
        text += chunk;
        if ((text.match(/HTTP\/1\.1 /g) ?? []).length === 2 && /"ok":\s*true/.test(text)) socket.destroy();
      });
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
      setTimeout(() => socket.destroy(), 10_000).unref();
    });
    const statuses = [...raw.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    assert.deepEqual(statuses, [413, 200], raw.slice(0, 600));
    assert.match(raw, /body_too_large/);
  });

  it("deploy, rollback and the release list of an unknown environment or app answer 404 unknown_environment / unknown_app", async () => {
    const cases: [Method, string, unknown][] = [
      ["POST", "releases", {}],
      ["POST", "rollbacks", {}],
      ["GET", "releases", undefined],
    ];
    for (const [method, tail, body] of cases) {
      const env = expectError(await call(method, `/api/v1/envs/qa/apps/web/${tail}`, { body }), 404, "unknown_environment");
      assert.match(env.message, /"qa"/);
      assert.match(env.hint ?? "", /staging, production/);
      const app = expectError(await call(method, `/api/v1/envs/staging/apps/shop/${tail}`, { body }), 404, "unknown_app");
      assert.match(app.message, /"shop"/);
      assert.match(app.hint ?? "", /\bweb\b/);
    }
  });

  it("a release and the logs of an unknown environment or app answer 404 unknown_environment / unknown_app", async () => {
    const wrong: string[] = [];
    for (const tail of ["releases/1", "logs"]) {
      for (const [path, code] of [
        [`/api/v1/envs/qa/apps/web/${tail}`, "unknown_environment"],
        [`/api/v1/envs/staging/apps/shop/${tail}`, "unknown_app"],
      ] as const) {
        const answer = await call("GET", path);
        const got = isErrorBody(answer.json) ? answer.json.error.code : "-";
        if (answer.status !== 404 || got !== code) wrong.push(`GET ${path} → ${answer.status} ${got} (expected 404 ${code})`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("the log stream of an unknown app answers 404 unknown_app instead of an endless empty stream", async () => {
    expectError(await call("GET", "/api/v1/envs/staging/apps/shop/logs/stream"), 404, "unknown_app");
  });

  it("a release number that is not a number answers 400", async () => {
    for (const number of ["abc", "1.5", "0", "-1", "1e3x"]) {
      const error = expectError(await call("GET", `/api/v1/envs/staging/apps/web/releases/${number}`), 400, "invalid_request");
      assert.deepEqual(fields(error), ["params.number"], number);
    }
    expectError(await call("GET", "/api/v1/envs/staging/apps/web/releases/999"), 404, "not_found");
  });

  it("bad query strings and odd bodies answer 4xx, never 5xx", async () => {
    const inputs: [Method, string, unknown?, string?][] = [
      ["GET", "/api/v1/events?limit=abc"],
      ["GET", "/api/v1/events?limit=0"],
      ["GET", "/api/v1/events?limit=99999999999"],
      ["GET", "/api/v1/events?since=yesterday"],
      ["GET", "/api/v1/events?afterId=1&afterId=2"],
      ["GET", "/api/v1/events?afterId=1e309"],
      ["GET", "/api/v1/events?bogus=1"],
      ["GET", "/api/v1/events/stream?afterId=abc"],
      ["GET", "/api/v1/events/stream?limit=5"],
      ["GET", "/api/v1/envs/staging/apps/web/logs?since=abc"],
      ["GET", "/api/v1/envs/staging/apps/web/logs?limit=-1"],
      ["GET", "/api/v1/envs/staging/apps/web/logs/stream?release=x"],
      ["GET", "/api/v1/envs/%E0%A4%A/apps/web/releases"],
      ["GET", `/api/v1/envs/${"e".repeat(5000)}/apps/web/releases`],
      ["GET", "/api/v1/envs/staging/apps/..%2F..%2Fetc/releases"],
      ["POST", "/api/v1/envs/qa/apps/web/releases", "[]"],
      ["POST", "/api/v1/envs/qa/apps/web/releases", '"text"'],
      ["POST", "/api/v1/envs/qa/apps/web/releases", "null"],
      ["POST", "/api/v1/envs/qa/apps/web/releases", "42"],
      ["POST", "/api/v1/envs/qa/apps/web/releases", ""],
      ["POST", "/api/v1/envs/qa/apps/web/releases", "strategy=rolling", "application/x-www-form-urlencoded"],
      ["POST", "/api/v1/envs/qa/apps/web/releases", "{}", "text/plain"],
      ["POST", "/api/v1/envs/qa/apps/web/rollbacks", { to: 0 }],
      ["POST", "/api/v1/shutdown", { stopApps: "yes" }],
      ["POST", "/api/v1/shutdown", { stopApps: true, now: 1 }],
    ];
    const wrong: string[] = [];
    for (const [method, path, body, contentType] of inputs) {
      const answer = await call(method, path, { body, contentType });
      if (answer.status < 400 || answer.status >= 500 || !isErrorBody(answer.json)) {
        wrong.push(`${method} ${path.slice(0, 80)} ${String(body)} → ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    }
    assert.deepEqual(wrong, [], "each answers 4xx with {error:{code,message}}");
    assert.equal((await up.client.health()).ok, true, "still up");
  });

  it("GET /api/v1/openapi.json is OpenAPI 3.1 with a path for each route the client uses and a bearer scheme", async () => {
    const answer = await call("GET", "/api/v1/openapi.json");
    assert.equal(answer.status, 200);
    const doc = answer.json as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      security?: Record<string, unknown>[];
      components?: { securitySchemes?: Record<string, { type?: string; scheme?: string }> };
    };
    assert.match(doc.openapi, /^3\.1\.\d+$/);
    const schemes = Object.entries(doc.components?.securitySchemes ?? {}).filter(
      ([, s]) => s.type === "http" && s.scheme?.toLowerCase() === "bearer",
    );
    assert.equal(schemes.length, 1, JSON.stringify(doc.components?.securitySchemes));
    const [schemeName] = schemes[0] ?? [];
    assert.ok(
      doc.security?.some((requirement) => schemeName !== undefined && schemeName in requirement),
      "bearer is required by default",
    );
    const missing = [...CLIENT_ROUTES, { method: "GET" as const, path: "/api/v1/health" }]
      .filter((route) => doc.paths[route.path]?.[route.method.toLowerCase()] === undefined)
      .map((route) => `${route.method} ${route.path}`);
    assert.deepEqual(missing, [], "every route the client uses is documented");
    assert.deepEqual(doc.paths["/api/v1/health"]?.get?.security, [], "health needs no token");
  });

  it("the running platform serves exactly the operations of the API catalogue (what docs/access.md and the matrix test walk)", async () => {
    const served = operationsOf((await call("GET", "/api/v1/openapi.json")).json as Record<string, unknown>);
    const { routes, streams } = apiCatalogue();
    const listed = operationsOf(buildOpenApiDocument(routes, streams, "catalogue"));
    const key = (o: { method: string; path: string; permission: string }) => `${o.method} ${o.path} ${o.permission}`;
    assert.deepEqual(served.map(key).sort(), listed.map(key).sort(), "add the module's route factories to src/daemon/api-catalogue.ts");
  });

  it("the events stream with afterId=N delivers every event appended after N, in id order, with id: lines", async () => {
    const after = (await up.client.events({ limit: 1 })).at(-1)?.id ?? 0;
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(), 30_000);
    try {
      const response = await fetch(`${base}/api/v1/events/stream?afterId=${after}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: controller.signal,
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
      const release = await up.client.deploy("staging", "web");
      const streamed = await readEventsUntil(response, (e) => e.type === "release.live" && e.release === release.number);
      controller.abort();

      assert.ok(streamed.length > 3, `${streamed.length} events`);
      assert.equal(streamed[0]?.id, after + 1, "starts right after N");
      const ids = streamed.map((e) => e.id);
      assert.deepEqual(
        ids,
        ids.map((_, i) => after + 1 + i),
        "every event after N, in id order, none twice",
      );
      assert.ok(streamed.some((e) => e.type === "release.created" && e.release === release.number));
      const logged = await up.client.events({ afterId: after, limit: 10_000 });
      assert.deepEqual(ids, logged.map((e) => e.id).slice(0, ids.length), "the same events the log holds");

      // Replayed from the store rather than live: the same events again.
      const replayController = new AbortController();
      const replayDeadline = setTimeout(() => replayController.abort(), 10_000);
      try {
        const replay = await fetch(`${base}/api/v1/events/stream?afterId=${after}`, {
          headers: { authorization: `Bearer ${token}` },
          signal: replayController.signal,
        });
        const last = streamed.at(-1)?.id ?? 0;
        const again = await readEventsUntil(replay, (e) => e.id >= last);
        assert.deepEqual(
          again.map((e) => e.id),
          ids,
        );
      } finally {
        replayController.abort();
        clearTimeout(replayDeadline);
      }
      await waitForRelease(up.client, release, 30_000);
    } finally {
      controller.abort();
      clearTimeout(deadline);
    }
  });

  it("answered no request with a 5xx", () => {
    assert.ok(seen.length > 50, `${seen.length} requests`);
    assert.deepEqual(
      seen.filter((s) => s.status >= 500),
      [],
    );
  });
});

/** Reads `event` messages of an SSE response until `done` matches one; each must carry an `id:` equal to its event's id. */
async function readEventsUntil(response: Response, done: (event: RampartEvent) => boolean): Promise<RampartEvent[]> {
  assert.ok(response.body, "a stream body");
  const decoder = new TextDecoder();
  const events: RampartEvent[] = [];
  let buffer = "";
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split("\n").filter((l) => !l.startsWith(":") && l !== "");
      if (lines.length === 0) continue;
      const field = (name: string) =>
        lines
          .find((l) => l.startsWith(`${name}:`))
          ?.slice(name.length + 1)
          .trim();
      assert.equal(field("event"), "event", block);
      const event = JSON.parse(field("data") ?? "") as RampartEvent;
      assert.equal(field("id"), String(event.id), `id: line of ${block}`);
      events.push(event);
      if (done(event)) return events;
    }
  }
  return assert.fail(`the stream ended before the awaited event; got ${events.map((e) => `${e.id} ${e.type}`).join(", ")}`);
}
