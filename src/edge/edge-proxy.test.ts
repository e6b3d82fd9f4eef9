import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { RoutingTable } from "./routing-table.types.ts";
import {
  app,
  environment,
  freePort,
  httpRequest,
  makeDataDir,
  release,
  route,
  servedBy,
  startEdge,
  stopEdge,
  type EchoBody,
  edgeRig,
} from "./edge-test-harness.ts";
import { waitFor } from "../shared/wait.ts";

describe("edge proxy", () => {
  const rig = edgeRig();

  async function push(env: Omit<RoutingTable["environments"][number], "name" | "bind" | "port">): Promise<void> {
    const result = await rig.pushTable([environment("test", rig.port, env.routes, env.apps)]);
    assert.equal(result.version, rig.version);
  }

  test("routes by longest prefix on segment boundaries, host-specific first at equal length", async () => {
    const names = ["root", "api", "v2", "shop", "admin"];
    const ups = await Promise.all(names.map((n) => rig.upstream(n)));
    await push({
      routes: [
        route("root", "/"),
        route("api", "/api"),
        route("v2", "/api/v2"),
        route("shop", "/api", ["shop.example.com"]),
        route("admin", "/", ["admin.example.com"]),
      ],
      apps: ups.map((u) => app(u.name, [release(1, 1, [u])])),
    });
    const cases: [string | undefined, string, string][] = [
      [undefined, "/", "root"],
      [undefined, "/apiary", "root"],
      [undefined, "/api", "api"],
      [undefined, "/api/x", "api"],
      [undefined, "/api?q=1", "api"],
      [undefined, "/api/v2/users", "v2"],
      [undefined, "/api/v22", "api"],
      ["shop.example.com:8080", "/api/x", "shop"],
      ["SHOP.Example.com", "/api", "shop"],
      ["shop.example.com", "/api/v2/x", "v2"],
      ["admin.example.com", "/", "admin"],
      ["admin.example.com", "/api", "api"],
    ];
    for (const [host, path, expected] of cases) {
      const reply = await httpRequest(rig.port, path, { headers: host === undefined ? {} : { host } });
      assert.equal(reply.status, 200, `${host} ${path}`);
      assert.equal(servedBy(reply), expected, `${host ?? ""}${path}`);
    }
    const echoed = JSON.parse((await httpRequest(rig.port, "/api/x?y=1&z=%20")).body) as EchoBody;
    assert.equal(echoed.url, "/api/x?y=1&z=%20");
  });

  test("splits traffic by release weight; weight 0 gets nothing", async () => {
    const [a, b, c] = await Promise.all([rig.upstream("w1"), rig.upstream("w3"), rig.upstream("w0")]);
    assert.ok(a && b && c);
    await push({ routes: [route("web", "/")], apps: [app("web", [release(1, 1, [a]), release(2, 3, [b]), release(3, 0, [c])])] });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 200; i++) {
      const name = servedBy(await httpRequest(rig.port, "/"));
      counts[name] = (counts[name] ?? 0) + 1;
    }
    assert.ok(Math.abs((counts.w1 ?? 0) - 50) <= 10, JSON.stringify(counts));
    assert.ok(Math.abs((counts.w3 ?? 0) - 150) <= 10, JSON.stringify(counts));
    assert.equal(counts.w0, undefined);
  });

  test("balances by fewest outstanding requests, round-robin on ties", async () => {
    const [slow, fast] = await Promise.all([rig.upstream("slow"), rig.upstream("fast")]);
    assert.ok(slow && fast);
    // Balancing state (cursor, outstanding counts) is per worker: one worker makes the order observable.
    const single = await startEdge(await makeDataDir(), { workers: 1 });
    const port = await freePort();
    after(() => stopEdge(single));
    const table: RoutingTable = {
      version: 1,
      environments: [environment("test", port, [route("web", "/")], [app("web", [release(1, 1, [slow, fast])])])],
    };
    assert.deepEqual((await single.client.putTable(table)).errors, []);
    const idle: string[] = [];
    for (let i = 0; i < 6; i++) idle.push(servedBy(await httpRequest(port, "/")));
    for (let i = 1; i < idle.length; i++) assert.notEqual(idle[i], idle[i - 1], idle.join(","));

    slow.hold = true;
    const pending: Promise<unknown>[] = [];
    // Round-robin sends one of the next two requests to `slow`, where it stays outstanding.
    for (let i = 0; i < 2 && slow.held.length === 0; i++) {
      const reply = httpRequest(port, "/");
      pending.push(reply);
      await Promise.race([reply, waitFor(() => (slow.held.length > 0 ? true : undefined), { timeoutMs: 5_000, intervalMs: 5 })]);
    }
    assert.equal(slow.held.length, 1);
    for (let i = 0; i < 10; i++) assert.equal(servedBy(await httpRequest(port, "/")), "fast");
    slow.hold = false;
    slow.release();
    await Promise.all(pending);
  });

  test("adds X-Forwarded-*, keeps Host, removes hop-by-hop headers both ways", async () => {
    const up = await rig.upstream("hdr", (req, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "x-upstream": "kept",
        "x-resp-drop": "1",
        "proxy-connection": "keep-alive",
        "keep-alive": "timeout=77",
        connection: "x-resp-drop",
      });
      res.end(JSON.stringify({ name: "hdr", method: req.method, url: req.url, headers: req.headers, bodyBytes: 0 }));
    });
    await push({ routes: [route("hdr", "/")], apps: [app("hdr", [release(1, 1, [up])])] });
    const reply = await httpRequest(rig.port, "/h", {
      headers: {
        host: "shop.example.com:9999",
        connection: "close, X-Drop-Me",
        "x-drop-me": "1",
        "keep-alive": "timeout=9",
        te: "trailers",
        "proxy-connection": "keep-alive",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "evil.example",
        "x-custom": "passes",
      },
    });
    assert.equal(reply.status, 200);
    const seen = (JSON.parse(reply.body) as EchoBody).headers;
    assert.equal(seen.host, "shop.example.com:9999");
    assert.equal(seen["x-forwarded-for"], "203.0.113.7, 127.0.0.1");
    assert.equal(seen["x-forwarded-proto"], "http");
    assert.equal(seen["x-forwarded-host"], "shop.example.com:9999");
    assert.equal(seen["x-custom"], "passes");
    for (const name of ["x-drop-me", "te", "proxy-connection"]) assert.equal(seen[name], undefined, name);
    assert.notEqual(seen["keep-alive"], "timeout=9");
    assert.equal(seen["x-request-id"], reply.headers["x-request-id"]);
    assert.equal(reply.headers["x-upstream"], "kept");
    assert.equal(reply.headers["x-resp-drop"], undefined);
    assert.equal(reply.headers["proxy-connection"], undefined);
    assert.notEqual(reply.headers["keep-alive"], "timeout=77");
  });

  test("keeps a valid X-Request-Id, replaces an invalid or missing one", async () => {
    const up = await rig.upstream("rid");
    await push({ routes: [route("rid", "/")], apps: [app("rid", [release(1, 1, [up])])] });
    const idSeenUpstream = (reply: { body: string }) => (JSON.parse(reply.body) as EchoBody).headers["x-request-id"];
    const kept = await httpRequest(rig.port, "/", { headers: { "x-request-id": "abc-123_x.Y" } });
    assert.equal(kept.headers["x-request-id"], "abc-123_x.Y");
    assert.equal(idSeenUpstream(kept), "abc-123_x.Y");
    for (const bad of ["has space", "x".repeat(201), "semi;colon"]) {
      const replaced = await httpRequest(rig.port, "/", { headers: { "x-request-id": bad } });
      assert.match(String(replaced.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
      assert.equal(idSeenUpstream(replaced), replaced.headers["x-request-id"]);
    }
    const generated = await httpRequest(rig.port, "/");
    assert.match(String(generated.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
  });

  test("answers 404, 503, 502 and 504 itself, as JSON or as HTML for browsers", async () => {
    const never = await rig.upstream("never", () => {});
    const closedPort = await freePort();
    await push({
      routes: [route("empty", "/empty"), route("gone", "/gone"), route("slow", "/slow")],
      apps: [
        app("empty", []),
        app("gone", [{ release: 1, weight: 1, instances: [{ id: "gone-1", host: "127.0.0.1", port: closedPort }] }]),
        app("slow", [release(1, 1, [never])], 200),
      ],
    });
    const expected: [string, number, string][] = [
      ["/nothing", 404, "no_route"],
      ["/empty", 503, "no_healthy_instance"],
      ["/gone", 502, "bad_gateway"],
      ["/slow", 504, "gateway_timeout"],
    ];
    for (const [path, status, code] of expected) {
      const json = await httpRequest(rig.port, path, { headers: { accept: "application/json" } });
      assert.equal(json.status, status, path);
      assert.match(String(json.headers["content-type"]), /^application\/json/);
      const body = JSON.parse(json.body) as { error: { code: string; message: string; requestId: string } };
      assert.equal(body.error.code, code);
      assert.ok(body.error.message.length > 0);
      assert.equal(body.error.requestId, json.headers["x-request-id"]);

      const html = await httpRequest(rig.port, path, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
      assert.equal(html.status, status);
      assert.match(String(html.headers["content-type"]), /^text\/html/);
      assert.match(html.body, new RegExp(`<h1>${status} `));
    }
    const head = await httpRequest(rig.port, "/nothing", { method: "HEAD" });
    assert.equal(head.status, 404);
    assert.equal(head.body, "");
  });

  test("retries a failed GET once elsewhere: a closed instance costs no failed request", async () => {
    const [a, b] = await Promise.all([rig.upstream("ra"), rig.upstream("rb")]);
    assert.ok(a && b);
    await push({ routes: [route("web", "/")], apps: [app("web", [release(1, 1, [a, b])])] });
    const statuses: number[] = [];
    const loop = async (n: number) => {
      for (let i = 0; i < n; i++) statuses.push((await httpRequest(rig.port, "/")).status);
    };
    const load = Promise.all([loop(40), loop(40), loop(40), loop(40)]);
    await waitFor(() => (a.count >= 10 ? true : undefined), { timeoutMs: 5_000, intervalMs: 2 });
    await a.close();
    await load;
    assert.equal(statuses.length, 160);
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
    );
    for (let i = 0; i < 10; i++) assert.equal(servedBy(await httpRequest(rig.port, "/")), "rb");
  });

  test("does not retry a request with a body", async () => {
    const live = await rig.upstream("live");
    const closedPort = await freePort();
    await push({
      routes: [route("web", "/")],
      apps: [
        app("web", [
          {
            release: 1,
            weight: 1,
            instances: [
              { id: "dead", host: "127.0.0.1", port: closedPort },
              { id: live.name, host: "127.0.0.1", port: live.port },
            ],
          },
        ]),
      ],
    });
    // A fresh table starts its round-robin at the first instance: the dead one.
    const post = await httpRequest(rig.port, "/", { method: "POST", body: "payload", headers: { "content-type": "text/plain" } });
    assert.equal(post.status, 502);
    assert.equal(live.count, 0);
    assert.equal(servedBy(await httpRequest(rig.port, "/")), "live");
  });

  test("streams request and response bodies without buffering them", async () => {
    let finish: (() => void) | undefined;
    const up = await rig.upstream("stream", (req, res) => {
      let bytes = 0;
      req.on("data", (chunk: Buffer) => (bytes += chunk.length));
      req.on("end", () => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write(`first ${bytes}\n`);
        finish = () => res.end("last\n");
      });
    });
    await push({ routes: [route("stream", "/")], apps: [app("stream", [release(1, 1, [up])])] });
    const { request } = await import("node:http");
    const size = 2 * 1024 * 1024;
    const received = await new Promise<string>((ok, fail) => {
      const req = request({ host: "127.0.0.1", port: rig.port, method: "POST", path: "/up", agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
          // The first chunk arrives while the upstream still holds the end of its response.
          if (text.includes("\n") && finish !== undefined) {
            finish();
            finish = undefined;
          }
        });
        res.on("end", () => ok(text));
      });
      req.on("error", fail);
      req.end(Buffer.alloc(size, 1));
    });
    assert.equal(received, `first ${size}\nlast\n`);
  });
});
