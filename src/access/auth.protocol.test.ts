import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { RampartError } from "../shared/errors.ts";
import { type AccessFixture, accessFixture } from "./access.fixture.ts";
import { authProtocol, credentialsOf } from "./auth.protocol.ts";

const PASSWORD = "a long enough password";

/** One HTTPS request to the test server (its certificate is self-signed). */
function post(port: number, path: string, body: unknown): Promise<{ status: number; cookie: string; text: string }> {
  return new Promise((ok, fail) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: "POST", rejectUnauthorized: false, headers: { "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => ok({ status: res.statusCode ?? 0, cookie: String(res.headers["set-cookie"] ?? ""), text }));
      },
    );
    req.on("error", fail);
    req.end(JSON.stringify(body));
  });
}

describe("login over TLS", () => {
  let f: AccessFixture;
  let app: FastifyInstance;
  let port: number;
  const dir = mkdtempSync(join(tmpdir(), "rampart-auth-tls-"));
  before(async () => {
    const key = join(dir, "api.key");
    const cert = join(dir, "api.crt");
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
      {
        stdio: "ignore",
      },
    );
    f = await accessFixture();
    await f.users.add({ name: "alice", password: PASSWORD }, "local");
    app = Fastify({ https: { key: readFileSync(key), cert: readFileSync(cert) } });
    app.setErrorHandler((error, _request, reply) =>
      error instanceof RampartError
        ? reply.code(error.status).send({ error: { code: error.code, message: error.message } })
        : reply.code(500).send({}),
    );
    authProtocol({ sessions: f.sessions, authenticator: f.authenticator, tokens: f.tokens })(app, {
      require: async () => "local",
      caller: (request) => f.authenticator.authenticate(credentialsOf(request)),
      record: async () => {},
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    port = typeof address === "object" && address ? address.port : 0;
  });
  after(async () => {
    await app.close();
    await f.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the session cookie is Secure, HttpOnly and SameSite=Strict when the API is served over TLS", async () => {
    const answer = await post(port, "/api/v1/auth/login", { user: "alice", password: PASSWORD });
    assert.equal(answer.status, 200, answer.text);
    const flags = answer.cookie.split("; ");
    for (const flag of ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"]) assert.ok(flags.includes(flag), `${flag} in ${answer.cookie}`);
  });

  it("a malformed body is a 400 naming the field, not a 5xx", async () => {
    const answer = await post(port, "/api/v1/auth/login", { user: "alice" });
    assert.equal(answer.status, 400);
    assert.match(answer.text, /body\.password/);
  });
});
