import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { before, describe, test } from "node:test";
import { app, environment, httpRequest, release, route, edgeRig } from "./edge-test-harness.ts";
import { RUM_BEACON_MAX_BYTES } from "./rum-beacon.ts";

const PAGE = "<!doctype html><html><head><title>shop</title></head><body><h1>shop</h1></body></html>";
const GZIPPED = gzipSync(Buffer.from(PAGE));

function tokenOf(body: string): string {
  const match = /data-rampart-rum="([^"]+)"/.exec(body);
  assert.ok(match?.[1], `no RUM tag in ${body}`);
  return match[1];
}

describe("edge RUM: the tag in HTML pages, the script and the hardened beacon", () => {
  const rig = edgeRig();
  const beacon = (body: unknown, headers: Record<string, string> = {}) =>
    httpRequest(rig.port, "/_rampart/rum", {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  before(async () => {
    const up = await rig.upstream("web-3", (req, res) => {
      req.resume();
      req.on("end", () => {
        if (req.url === "/json") return res.writeHead(200, { "content-type": "application/json", "content-length": 7 }).end('{"a":1}');
        if (req.url === "/gz") return res.writeHead(200, { "content-type": "text/html", "content-encoding": "gzip" }).end(GZIPPED);
        if (req.url === "/chunked") {
          res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
          res.write("<!doctype html><html><he");
          setTimeout(() => res.end("ad><title>x</title></head><body>streamed</body></html>"), 20);
          return;
        }
        res.writeHead(200, { "content-type": "text/html", "content-length": Buffer.byteLength(PAGE), etag: '"v1"' }).end(PAGE);
      });
    });
    const web = { ...app("web", [release(3, 1, [up])]), rum: true };
    const plain = app("plain", [release(1, 1, [up])]);
    await rig.pushTable([environment("production", rig.port, [route("web", "/"), route("plain", "/plain/")], [web, plain])]);
  });

  test("a page of a RUM app gets the tag after <head>, with the release that served it; the framing stays right", async () => {
    const page = await httpRequest(rig.port, "/");
    assert.equal(page.status, 200);
    assert.match(
      page.body,
      /^<!doctype html><html><head><script src="\/_rampart\/rum.js" data-rampart-rum="web:3:\d+:[\w-]{22}" async><\/script><title>/,
    );
    assert.equal(page.body.split("<script").length, 2, "one tag");
    assert.equal(page.headers["content-length"], undefined, "the app's length no longer holds: chunked");
    assert.equal(page.headers.etag, 'W/"v1"');
    const streamed = await httpRequest(rig.port, "/chunked");
    assert.match(streamed.body, /<html><head><script [^>]+><\/script><title>x<\/title><\/head><body>streamed/);
    // A request with a body goes through undici, the other upstream path.
    const posted = await httpRequest(rig.port, "/form", { method: "POST", body: "a=1" });
    assert.match(posted.body, /<head><script src="\/_rampart\/rum.js"/);
  });

  test("compressed pages, non-HTML, HEAD and apps without rum pass untouched", async () => {
    const gz = await httpRequest(rig.port, "/gz");
    assert.equal(gz.headers["content-encoding"], "gzip");
    assert.ok(!gz.body.includes("rampart"));
    const json = await httpRequest(rig.port, "/json");
    assert.equal(json.body, '{"a":1}');
    assert.equal(json.headers["content-length"], "7");
    const head = await httpRequest(rig.port, "/", { method: "HEAD" });
    assert.equal(head.headers["content-length"], String(Buffer.byteLength(PAGE)));
    const plain = await httpRequest(rig.port, "/plain/");
    assert.equal(plain.body, PAGE);
  });

  test("the edge serves the reporter script with web-vitals bundled", async () => {
    const script = await httpRequest(rig.port, "/_rampart/rum.js");
    assert.equal(script.status, 200);
    assert.match(script.headers["content-type"] ?? "", /^text\/javascript/);
    assert.match(script.body, /webVitals/);
    assert.match(script.body, /onLCP/);
    assert.equal((await httpRequest(rig.port, "/_rampart/rum.js", { method: "POST" })).status, 405);
  });

  test("a beacon with the page's token is counted under the release that served the page", async () => {
    const token = tokenOf((await httpRequest(rig.port, "/")).body);
    await rig.edge.client.stats();
    const ok = await beacon(
      {
        t: token,
        p: "/",
        m: [
          { n: "lcp", v: 1234 },
          { n: "cls", v: 0.12 },
          { n: "ttfb", v: 80 },
        ],
        e: 2,
      },
      { origin: `http://127.0.0.1:${rig.port}` },
    );
    assert.equal(ok.status, 204);
    const rum = (await rig.edge.client.stats()).rum ?? [];
    const lcp = rum.find((s) => s.metric === "lcp");
    assert.deepEqual(
      { app: lcp?.app, env: lcp?.env, release: lcp?.release, count: lcp?.count, sum: lcp?.sum },
      { app: "web", env: "production", release: 3, count: 1, sum: 1234 },
    );
    assert.equal(rum.find((s) => s.metric === "js_errors")?.count, 2);
    assert.equal(rum.find((s) => s.metric === "cls")?.sum, 0.12);
  });

  test("forged, foreign, oversized and malformed beacons get a 4xx, never a 5xx, and count nothing", async () => {
    const token = tokenOf((await httpRequest(rig.port, "/")).body);
    await rig.edge.client.stats();
    const forged = token.replace("web:3:", "web:4:");
    const cases: [string, Promise<{ status: number }>, number][] = [
      ["forged release", beacon({ t: forged, m: [{ n: "lcp", v: 1 }] }), 403],
      ["made-up token", beacon({ t: "web:3:1:AAAAAAAAAAAAAAAAAAAAAA", m: [] }), 403],
      ["plain app's name", beacon({ t: token.replace("web:", "plain:"), m: [] }), 403],
      ["other site", beacon({ t: token, m: [{ n: "lcp", v: 1 }] }, { origin: "https://evil.example" }), 403],
      ["not JSON", beacon("{t:"), 400],
      ["not an object", beacon("[1,2]"), 400],
      ["unknown vital", beacon({ t: token, m: [{ n: "fid", v: 1 }] }), 400],
      ["negative value", beacon({ t: token, m: [{ n: "lcp", v: -1 }] }), 400],
      ["out of range", beacon({ t: token, m: [{ n: "lcp", v: 1e9 }] }), 400],
      ["extra field", beacon({ t: token, m: [], x: 1 }), 400],
      ["too many metrics", beacon({ t: token, m: Array.from({ length: 11 }, () => ({ n: "fcp", v: 1 })) }), 400],
      ["oversized", beacon({ t: token, p: "x".repeat(RUM_BEACON_MAX_BYTES) }), 413],
      ["GET", httpRequest(rig.port, "/_rampart/rum"), 405],
    ];
    for (const [name, reply, status] of cases) assert.equal((await reply).status, status, name);
    const fuzz = ["", "null", "{}", '{"t":1}', '{"t":"a","m":"x"}', '{"t":"a","e":-1}', "\u0000\u00ff", '{"__proto__":{"t":"x"}}'];
    for (const body of fuzz) {
      const reply = await beacon(body);
      assert.ok(reply.status >= 400 && reply.status < 500, `${JSON.stringify(body)} → ${reply.status}`);
    }
    assert.deepEqual((await rig.edge.client.stats()).rum ?? [], [], "nothing refused was counted");
  });

  test("beacons over the rate from one address get 429", async () => {
    const token = tokenOf((await httpRequest(rig.port, "/")).body);
    const statuses: number[] = [];
    // 100 over two workers: one of them sees at least 50, past its burst of 30.
    for (let i = 0; i < 100; i++) statuses.push((await beacon({ t: token, m: [{ n: "fcp", v: 10 }] })).status);
    assert.ok(statuses.includes(429), statuses.join(","));
    assert.ok(statuses.every((s) => s === 204 || s === 429));
  });
});
