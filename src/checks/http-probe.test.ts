import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { systemClock } from "../shared/clock.ts";
import { evaluate, parseCondition } from "./check-condition.ts";
import { httpProber, type ProbeRequest } from "./http-probe.ts";

const dir = mkdtempSync(join(tmpdir(), "rampart-probe-"));
const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

const probe = httpProber(systemClock);
const request = (url: string, over: Partial<ProbeRequest> = {}): ProbeRequest => ({
  url,
  method: "GET",
  headers: {},
  body: null,
  timeoutMs: 2000,
  verifyTls: false,
  ...over,
});

test("reads status, body and time; sends method, headers and body", async () => {
  const port = await listen(
    createHttpServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization, body })));
    }),
  );
  const result = await probe(request(`http://127.0.0.1:${port}/x`, { method: "POST", headers: { authorization: "Bearer t" }, body: "hi" }));
  assert.equal(result.status, 200);
  assert.deepEqual(JSON.parse(result.bodyText), { method: "POST", auth: "Bearer t", body: "hi" });
  assert.equal(result.certificateExpiresAt, null);
  assert.ok(result.elapsedMs >= 0);
});

test("a refused connection and a timeout are results with the error, not exceptions", async () => {
  const closed = await listen(createHttpServer());
  servers.pop()?.close();
  const refused = await probe(request(`http://127.0.0.1:${closed}/`));
  assert.equal(refused.status, null);
  assert.match(refused.error ?? "", /ECONNREFUSED/);
  const slow = await listen(createHttpServer(() => {}));
  const timedOut = await probe(request(`http://127.0.0.1:${slow}/`, { timeoutMs: 200 }));
  assert.deepEqual([timedOut.status, timedOut.error], [null, "no response within 200ms"]);
});

test("over TLS the certificate's expiry is read: a 2-day certificate fails certificate_expires_in > 48h", async () => {
  const certFile = join(dir, "c.crt");
  const keyFile = join(dir, "c.key");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", keyFile, "-out", certFile],
    {
      stdio: "ignore",
    },
  );
  const port = await listen(createHttpsServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (_req, res) => res.end("ok")));
  const result = await probe(request(`https://127.0.0.1:${port}/`));
  assert.equal(result.status, 200);
  const expiresIn = (result.certificateExpiresAt ?? 0) - Date.now();
  assert.ok(expiresIn > 47 * 3_600_000 && expiresIn <= 48 * 3_600_000, `expires in ${expiresIn}ms`);
  const parsed = (text: string) => {
    const c = parseCondition(text);
    return c.ok ? c.condition : assert.fail(text);
  };
  assert.equal(evaluate(parsed("certificate_expires_in > 48h"), result, Date.now()).ok, false);
  assert.equal(evaluate(parsed("certificate_expires_in > 24h"), result, Date.now()).ok, true);
  // A `url` check verifies the certificate as any client would: a self-signed one is no response.
  const verified = await probe(request(`https://127.0.0.1:${port}/`, { verifyTls: true }));
  assert.equal(verified.status, null);
  assert.match(verified.error ?? "", /self.signed/);
});
