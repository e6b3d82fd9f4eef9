import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:tls";
import { WebSocket, WebSocketServer } from "ws";
import { app, environment, httpRequest, release, route, type Upstream, edgeRig } from "./edge-test-harness.ts";
import { stopGracefully } from "./edge-stream-harness.ts";
import { sendRaw } from "./smuggling-corpus.ts";
import { waitFor } from "../shared/wait.ts";
import { requestOn, servedName } from "../testing/tls-probe.ts";

/** A self-signed certificate for `name` in `dir` (cert and key PEM files). */
function selfSigned(dir: string, name: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-keyout", keyFile, "-out", certFile],
    { stdio: "ignore" },
  );
  return { certFile, keyFile };
}

describe("edge TLS termination", () => {
  const rig = edgeRig({ stop: stopGracefully });
  let up: Upstream | undefined;
  const dir = mkdtempSync(join(tmpdir(), "rampart-tls-"));
  const live = { certFile: join(dir, "live.crt"), keyFile: join(dir, "live.key") };
  let first: { certFile: string; keyFile: string };
  let second: { certFile: string; keyFile: string };

  before(async () => {
    first = selfSigned(dir, "first.test");
    second = selfSigned(dir, "second.test");
    copyFileSync(first.certFile, live.certFile);
    copyFileSync(first.keyFile, live.keyFile);
    up = await rig.upstream("tls");
    const env = { ...environment("secure", rig.port, [route("web", "/")], [app("web", [release(1, 1, [up])])]), tls: live };
    await rig.pushTable([env]);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("serves HTTPS with the configured pair and tells the upstream X-Forwarded-Proto: https", async () => {
    assert.equal(await servedName(rig.port), "first.test");
    const socket = connect({ port: rig.port, host: "127.0.0.1", rejectUnauthorized: false });
    const reply = await requestOn(socket, "/hello");
    socket.destroy();
    assert.match(reply, /^200 /);
    assert.equal((JSON.parse(reply.slice(4)) as { headers: Record<string, string> }).headers["x-forwarded-proto"], "https");
  });

  test("a new pair on disk is picked up for new connections; an open connection keeps working", async () => {
    const open = connect({ port: rig.port, host: "127.0.0.1", rejectUnauthorized: false });
    assert.match(await requestOn(open, "/before"), /^200 /);
    assert.equal(open.getPeerCertificate().subject?.CN, "first.test");
    copyFileSync(second.keyFile, live.keyFile);
    copyFileSync(second.certFile, live.certFile);
    await waitFor(async () => ((await servedName(rig.port)) === "second.test" ? true : undefined), { timeoutMs: 10_000, intervalMs: 200 });
    // Every worker reloads on its own poll: each new connection now gets the new certificate.
    for (let i = 0; i < 4; i++) {
      await waitFor(async () => ((await servedName(rig.port)) === "second.test" ? true : undefined), { timeoutMs: 5_000, intervalMs: 200 });
    }
    assert.match(await requestOn(open, "/after"), /^200 /);
    open.destroy();
  });

  test("WebSockets work over TLS (wss) the same way", async () => {
    assert.ok(up !== undefined);
    const server = createServer();
    const wss = new WebSocketServer({ server });
    wss.on("connection", (socket) => socket.on("message", (data) => socket.send(`echo ${String(data)}`)));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    try {
      const wsPort = (server.address() as AddressInfo).port;
      const apps = [
        app("web", [release(1, 1, [up])]),
        app("ws", [{ release: 1, weight: 1, instances: [{ id: "ws-1", host: "127.0.0.1", port: wsPort }] }]),
      ];
      const env = { ...environment("secure", rig.port, [route("web", "/"), route("ws", "/ws")], apps), tls: live };
      await rig.pushTable([env]);
      const client = new WebSocket(`wss://127.0.0.1:${rig.port}/ws`, { rejectUnauthorized: false });
      const reply = await new Promise<string>((ok, fail) => {
        client.once("open", () => client.send("hi"));
        client.once("message", (data) => ok(String(data)));
        client.once("error", fail);
      });
      assert.equal(reply, "echo hi");
      client.close();
    } finally {
      for (const c of wss.clients) c.terminate();
      server.closeAllConnections();
      server.close();
    }
  });

  test("a mismatched pair keeps the previous certificate and logs why", async () => {
    copyFileSync(first.certFile, live.certFile);
    // live.key is still the second key: the pair does not match.
    await waitFor(() => (rig.edge.stderr().includes("kept the previous TLS certificate") ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    for (let i = 0; i < 4; i++) assert.equal(await servedName(rig.port), "second.test");
  });

  test("plain HTTP sent to the TLS port gets a 400 saying so, then the connection closes", async () => {
    const reply = await sendRaw(rig.port, "127.0.0.1", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 5_000);
    assert.equal(reply.status, 400, reply.text);
    assert.ok(reply.closed);
    assert.match(reply.text, /plain HTTP request was sent to HTTPS port/);
    // TLS still works on the same port afterwards.
    assert.equal(await servedName(rig.port), "second.test");
  });

  test("a table can switch the environment to plain HTTP; a certificate that does not load is reported and the listener kept", async () => {
    assert.ok(up !== undefined);
    const apps = [app("web", [release(1, 1, [up])])];
    const plain = environment("secure", rig.port, [route("web", "/")], apps);
    await rig.pushTable([plain]);
    assert.equal((await httpRequest(rig.port, "/plain")).status, 200);
    const broken = { ...plain, tls: { certFile: join(dir, "missing.crt"), keyFile: live.keyFile } };
    const result = await rig.putTable([broken]);
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0]?.message ?? "", /missing\.crt/);
    assert.equal((await httpRequest(rig.port, "/still-plain")).status, 200);
  });
});
