import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { EdgeStats } from "./edge-stats.types.ts";
import type { EdgeApp, RoutingTable } from "./routing-table.types.ts";
import { app, environment, httpRequest, release, route, servedBy, type EchoBody, edgeRig } from "./edge-test-harness.ts";
import { waitFor } from "../shared/wait.ts";

describe("edge: sticky canary split, release pinning, trace context, flag variants", () => {
  const rig = edgeRig();

  async function push(apps: EdgeApp[], extra: Partial<RoutingTable["environments"][number]> = {}): Promise<void> {
    await rig.pushTable([{ ...environment("test", rig.port, [route("web", "/"), route("web", "/api")], apps), ...extra }]);
  }

  /** Collections until `until` holds for what was gathered (the edge reports once per call). */
  async function collect(until: (all: EdgeStats[]) => boolean): Promise<EdgeStats[]> {
    const client = rig.edge.client;
    const all: EdgeStats[] = [];
    await waitFor(
      async () => {
        all.push(await client.stats());
        return until(all) ? true : undefined;
      },
      { timeoutMs: 10_000 },
    );
    return all;
  }

  test("a canary split keeps each client on one side by the edge's cookie, and grows without moving anyone off the canary", async () => {
    const stable = await rig.upstream("stable");
    const canary = await rig.upstream("canary");
    const split = (percent: number): EdgeApp => ({
      ...app("web", [release(1, 100 - percent, [stable]), release(2, percent, [canary])]),
      split: true,
    });
    await push([split(25)]);
    // New clients get a cookie; each then stays on its side for every request.
    const clients: { cookie: string; side: string }[] = [];
    for (let i = 0; i < 400; i++) {
      const first = await httpRequest(rig.port, "/");
      const setCookie = first.headers["set-cookie"]?.[0] ?? "";
      assert.match(setCookie, /^rampart_sticky=[a-z0-9]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
      const cookie = setCookie.split(";")[0] ?? "";
      clients.push({ cookie, side: servedBy(first) });
    }
    const onCanary = clients.filter((c) => c.side === "canary").length;
    assert.ok(onCanary > 60 && onCanary < 140, `25 % of 400 clients expected on the canary, got ${onCanary}`);
    for (const c of clients.slice(0, 50)) {
      const again = await httpRequest(rig.port, "/", { headers: { cookie: `other=1; ${c.cookie}` } });
      assert.equal(servedBy(again), c.side);
      assert.equal(again.headers["set-cookie"], undefined, "a client with a sticky id gets no new cookie");
    }
    await push([split(50)]);
    for (const c of clients.filter((x) => x.side === "canary")) {
      assert.equal(
        servedBy(await httpRequest(rig.port, "/", { headers: { cookie: c.cookie } })),
        "canary",
        "a canary user stays on the canary when it grows",
      );
    }
    const nowOnCanary = (await Promise.all(clients.map((c) => httpRequest(rig.port, "/", { headers: { cookie: c.cookie } })))).filter(
      (r) => servedBy(r) === "canary",
    ).length;
    assert.ok(nowOnCanary > 160 && nowOnCanary < 240, `50 % expected, got ${nowOnCanary} of 400`);
  });

  test("a sticky header named in the manifest keeps a user on one side; without a split no cookie is set", async () => {
    const stable = await rig.upstream("stable-h");
    const canary = await rig.upstream("canary-h");
    await push([
      { ...app("web", [release(1, 50, [stable]), release(2, 50, [canary])]), split: true, sticky: { kind: "header", name: "X-User" } },
    ]);
    for (let i = 0; i < 20; i++) {
      const sides = new Set<string>();
      for (let k = 0; k < 4; k++) sides.add(servedBy(await httpRequest(rig.port, "/", { headers: { "x-user": `user-${i}` } })));
      assert.equal(sides.size, 1, `user-${i} saw ${[...sides].join(", ")}`);
    }
    await push([app("web", [release(1, 1, [stable])])]);
    assert.equal((await httpRequest(rig.port, "/")).headers["set-cookie"], undefined);
  });

  test("X-Rampart-Release pins a request to a release, weight 0 included, from allowed sources only", async () => {
    const live = await rig.upstream("live");
    const warm = await rig.upstream("warm");
    await push([app("web", [release(4, 1, [live]), release(3, 0, [warm])])]);
    assert.equal(servedBy(await httpRequest(rig.port, "/", { headers: { "x-rampart-release": "3" } })), "warm");
    assert.equal(servedBy(await httpRequest(rig.port, "/", { headers: { "x-rampart-release": "4" } })), "live");
    const echo = JSON.parse((await httpRequest(rig.port, "/", { headers: { "x-rampart-release": "3" } })).body) as EchoBody;
    assert.equal(echo.headers["x-rampart-release"], undefined, "the pin header is the edge's, not forwarded");
    const missing = await httpRequest(rig.port, "/", { headers: { "x-rampart-release": "9", accept: "application/json" } });
    assert.equal(missing.status, 503);
    assert.match(missing.body, /release 9 of web has no instance/);
    // 127.0.0.1 is not among the pin sources: the header is ignored.
    await push([app("web", [release(4, 1, [live]), release(3, 0, [warm])])], { pinSources: ["10.0.0.0/8"] });
    for (let i = 0; i < 5; i++) assert.equal(servedBy(await httpRequest(rig.port, "/", { headers: { "x-rampart-release": "3" } })), "live");
  });

  test("traceparent is continued or started, and sampled requests, errors and slow ones get an edge span", async () => {
    const seen: string[] = [];
    const u = await rig.upstream("traced", (req, res) => {
      seen.push(String(req.headers.traceparent));
      res.statusCode = req.url === "/fail" ? 500 : 200;
      res.end("ok");
    });
    await push([app("web", [release(5, 1, [u])])], { tracing: { sampleRate: 0, slowMs: 60_000 } });
    await rig.edge.client.stats();
    const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    await httpRequest(rig.port, "/api/items?x=1", { headers: { traceparent: incoming } });
    await httpRequest(rig.port, "/plain");
    await httpRequest(rig.port, "/fail");
    assert.match(seen[0] ?? "", /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    assert.match(seen[1] ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/, "a started trace not sampled at rate 0");
    const all = await collect((c) => c.flatMap((s) => s.spans ?? []).length >= 2);
    const spans = all.flatMap((s) => s.spans ?? []);
    const continued = spans.find((s) => s.traceId === "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.ok(continued, "the sampled request has a span");
    assert.equal(continued.parentSpanId, "00f067aa0ba902b7");
    assert.equal(seen[0]?.split("-")[2], continued.spanId, "the instance got the edge span as parent");
    assert.deepEqual(
      [continued.app, continued.release, continued.instance, continued.route, continued.target, continued.status],
      ["web", 5, "traced", "/api", "/api/items?x=1", 200],
    );
    assert.ok(
      spans.some((s) => s.status === 500 && s.target === "/fail"),
      "every error gets a span",
    );
    assert.ok(!spans.some((s) => s.target === "/plain"), "an unsampled fast success gets none");
  });

  test("the SDK's flag header is stripped and counted per variation; requests are counted per route", async () => {
    const u = await rig.upstream("flagged", (req, res) => {
      const on = (req.url ?? "").includes("on");
      res.setHeader("x-rampart-flags", on ? "new-reco=on,checkout=v2" : "new-reco=off");
      res.statusCode = (req.url ?? "").includes("err") ? 503 : 200;
      res.end("ok");
    });
    await push([app("web", [release(6, 1, [u])])]);
    await rig.edge.client.stats();
    const replies = [];
    for (const path of ["/on", "/on", "/on-err", "/off", "/api/off"]) replies.push(await httpRequest(rig.port, path));
    for (const r of replies) assert.equal(r.headers["x-rampart-flags"], undefined);
    const all = await collect((c) => c.flatMap((s) => s.flagVariants ?? []).reduce((n, s) => n + s.count, 0) >= 6);
    const variants = all.flatMap((s) => s.flagVariants ?? []);
    const count = (flag: string, variation: string, field: "count" | "errors"): number =>
      variants.filter((v) => v.flag === flag && v.variation === variation && v.release === 6).reduce((n, v) => n + v[field], 0);
    assert.equal(count("new-reco", "on", "count"), 3);
    assert.equal(count("new-reco", "on", "errors"), 1);
    assert.equal(count("new-reco", "off", "count"), 2);
    assert.equal(count("checkout", "v2", "count"), 3);
    const series = all.flatMap((s) => s.series).filter((s) => s.release === 6);
    assert.equal(
      series.filter((s) => s.route === "/api").reduce((n, s) => n + s.count, 0),
      1,
    );
    assert.equal(
      series.filter((s) => s.route === "/").reduce((n, s) => n + s.count, 0),
      4,
    );
  });

  test("a release on standby (weight 0) takes the retry when the serving one fails, and serves when none takes traffic", async () => {
    const standby = await rig.upstream("standby");
    const gone = await rig.upstream("gone");
    const gonePort = gone.port;
    await gone.close();
    await push([
      app("web", [
        {
          release: 9,
          weight: 1,
          instances: [
            { id: "gone-1", host: "127.0.0.1", port: gonePort },
            { id: "gone-2", host: "127.0.0.1", port: gonePort },
          ],
        },
        release(8, 0, [standby]),
      ]),
    ]);
    for (let i = 0; i < 20; i++) assert.equal(servedBy(await httpRequest(rig.port, "/")), "standby");
    await push([app("web", [release(8, 0, [standby])])]);
    assert.equal(servedBy(await httpRequest(rig.port, "/")), "standby");
  });

  test("when every instance of the canary refuses connections, its requests are served by stable", async () => {
    const stable = await rig.upstream("stable-c");
    const dead = await rig.upstream("dead");
    const deadPort = dead.port;
    await dead.close();
    await push([
      {
        ...app("web", [
          release(1, 50, [stable]),
          {
            release: 2,
            weight: 50,
            instances: [
              { id: "dead-1", host: "127.0.0.1", port: deadPort },
              { id: "dead-2", host: "127.0.0.1", port: deadPort },
            ],
          },
        ]),
        split: true,
      },
    ]);
    for (let i = 0; i < 60; i++) {
      const reply = await httpRequest(rig.port, "/");
      assert.equal(reply.status, 200, `request ${i}: ${reply.body}`);
      assert.equal(servedBy(reply), "stable-c");
    }
  });
});
