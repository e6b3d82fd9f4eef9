import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import { MetricsStore } from "./metrics.store.ts";
import { INSTANCE_CPU, INSTANCE_RSS, INSTANCE_UP, RuntimeMetricsCollector } from "./runtime-metrics.ts";
import { SCRAPE_PROBLEMS, SCRAPE_UP, Scraper } from "./scraper.ts";

function instance(id: string, port: number, pid: number | null = null): InstanceRecord {
  return {
    id,
    env: "production",
    app: "web",
    release: 2,
    slot: 1,
    port,
    status: "healthy",
    pid,
    pidStart: null,
    runnerPid: null,
    runnerStart: null,
    restarts: 0,
    startedAt: 0,
    updatedAt: 0,
    logPath: "",
    stateDir: "",
    lastExit: null,
  };
}

describe("Scraper", () => {
  let server: Server;
  let port = 0;
  let body = "";
  let requests = 0;
  before(async () => {
    server = createServer((req, res) => {
      requests++;
      if (req.url === "/metrics") return res.end(body);
      if (req.url === "/hang") return;
      res.statusCode = 500;
      res.end("no");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("scrapes on the interval, labels the samples and keeps going through bad lines and failures", async () => {
    const store = new MetricsStore();
    let now = 1_800_000_000_000;
    const instances = [instance("production.web.r2.1", port)];
    let target: { path: string; intervalMs: number } | null = { path: "/metrics", intervalMs: 5000 };
    const scraper = new Scraper({ store, clock: { now: () => now }, instances: () => instances, targetOf: async () => target });
    body = "# TYPE hits_total counter\nhits_total 10\nbroken{ 1\n";
    await scraper.tick();
    body = "# TYPE hits_total counter\nhits_total 25\n";
    now += 1000;
    await scraper.tick(); // not due yet: the interval is 5 s
    now += 4000;
    await scraper.tick();
    const [hits] = store.select("hits_total", { env: "production", app: "web", release: "2", instance: "production.web.r2.1" });
    assert.ok(hits?.kind === "counter");
    assert.equal(hits.total, 15, "the first scrape is the baseline, the second adds 15");
    const problems = store.select(SCRAPE_PROBLEMS)[0];
    assert.equal(problems?.kind === "gauge" ? problems.total : -1, 0, "the last scrape had no bad line");

    target = { path: "/nope", intervalMs: 1000 };
    now += 5000;
    await scraper.tick();
    const up = store.select(SCRAPE_UP)[0];
    assert.equal(up?.kind === "gauge" ? up.total : -1, 0, "a 500 sets up to 0 and throws nothing");

    target = null;
    now += 5000;
    const before = requests;
    await scraper.tick();
    assert.equal(requests, before, "an app without `metrics` is not scraped");
  });
});

describe("RuntimeMetricsCollector", () => {
  it("samples CPU and resident memory of the instance's process, and up 0 when it has none", () => {
    const store = new MetricsStore();
    const list = [instance("production.web.r2.1", 1, process.pid), instance("production.web.r2.2", 2, null)];
    const collector = new RuntimeMetricsCollector(store, () => list);
    collector.collect(1_800_000_000_000);
    let spin = 0;
    for (let i = 0; i < 5_000_000; i++) spin += i;
    assert.ok(spin > 0);
    collector.collect(1_800_000_001_000);
    const rss = store.select(INSTANCE_RSS, { instance: "production.web.r2.1" })[0];
    assert.ok(rss?.kind === "gauge" && rss.total > 1_000_000);
    const cpu = store.select(INSTANCE_CPU, { instance: "production.web.r2.1" })[0];
    assert.ok(cpu?.kind === "counter" && cpu.total >= 0);
    const up = store.select(INSTANCE_UP).map((s) => [s.labels.instance, s.kind === "gauge" ? s.total : -1]);
    assert.deepEqual(up.sort(), [
      ["production.web.r2.1", 1],
      ["production.web.r2.2", 0],
    ]);
  });
});
