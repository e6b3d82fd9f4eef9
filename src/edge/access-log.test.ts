import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { readAccessLog } from "../gateway/edge-log.reader.ts";
import { AccessLog, formatEntry, type AccessEntry } from "./access-log.ts";
import { compileTable } from "./compiled-table.ts";
import type { RoutingTable } from "./routing-table.types.ts";

const root = mkdtempSync(join(tmpdir(), "rampart-access-log-"));
after(() => rmSync(root, { recursive: true, force: true }));

function entry(over: Partial<AccessEntry> = {}): AccessEntry {
  return {
    startedAtMs: Date.parse("2026-12-05T12:00:00.000Z"),
    requestId: "r-1",
    method: "GET",
    host: "shop.example.com",
    path: "/orders",
    status: 200,
    bytes: 12,
    durationMs: 1.23456,
    upstreamMs: 1.1,
    app: "web",
    release: 3,
    instance: "production.web.r3.1",
    client: "203.0.113.7",
    subject: "alice",
    ...over,
  };
}

function logFor(dir: string, maxBytes: number, keep: number) {
  const table: RoutingTable = {
    version: 1,
    environments: [{ name: "production", bind: "127.0.0.1", port: 1, routes: [], apps: [], accessLog: { dir, maxBytes, keep } }],
  };
  const compiled = compileTable(table);
  const log = new AccessLog();
  log.configure(compiled, table);
  const env = compiled.environments[0];
  const envLog = env === undefined ? undefined : log.of(env);
  assert.ok(envLog !== undefined);
  return { log, envLog };
}

describe("edge access log", () => {
  it("writes one JSON line per request; client-chosen strings cannot break the line", () => {
    const line = formatEntry(entry({ path: '/a"\n{"status":500}', host: "x\r\ny", method: "G\u0000T" }));
    assert.equal(line.split("\n").length, 2, "exactly one line");
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.equal(parsed.path, '/a"\n{"status":500}');
    assert.equal(parsed.status, 200);
    assert.equal(parsed.time, "2026-12-05T12:00:00.000Z");
    assert.equal(parsed.duration_ms, 1.235);
  });

  it("buffers, writes on close, rotates by size, keeps `keep` rotated files, and retires a dead worker's file", async () => {
    const dir = join(root, "rotate");
    const { log, envLog } = logFor(dir, 4096, 2);
    envLog.record(entry());
    await log.close();
    assert.deepEqual(readdirSync(dir), [`access-${process.pid}.log`]);
    // A file left by a worker that died (pid 2^22 + 1 is above Linux's pid_max default, so never alive).
    writeFileSync(join(dir, "access-4194305.log"), `${formatEntry(entry({ requestId: "from-dead-worker" }))}`);
    const second = logFor(dir, 4096, 2);
    for (let i = 0; i < 200; i++) second.envLog.record(entry({ requestId: `r-${i}` }));
    await second.log.close();
    const files = readdirSync(dir);
    assert.ok(!files.includes("access-4194305.log"), `the dead worker's file is retired: ${files.join(" ")}`);
    const rotated = files.filter((f) => /^access-\d+-\d+\.log$/.test(f));
    assert.ok(rotated.length >= 1 && rotated.length <= 2, `rotated and pruned to 2: ${files.join(" ")}`);
    for (const f of files) for (const line of readFileSync(join(dir, f), "utf8").split("\n")) if (line !== "") JSON.parse(line);
  });

  it("is read back merged by time, filtered by since and grep, newest `limit`", async () => {
    const dir = join(root, "read");
    const { log, envLog } = logFor(dir, 1 << 20, 2);
    const t0 = Date.parse("2026-12-05T12:00:00.000Z");
    for (let i = 0; i < 10; i++)
      envLog.record(entry({ startedAtMs: t0 + i * 1000, requestId: `r-${i}`, subject: i % 2 === 0 ? "alice" : "bob" }));
    await log.close();
    // Another worker's file, interleaved in time, with a line cut short by a kill.
    writeFileSync(
      join(dir, "access-4194306-1.log"),
      `${formatEntry(entry({ startedAtMs: t0 + 4500, requestId: "other" }))}{"time":"2026-12-0`,
    );
    const all = await readAccessLog(dir, { limit: 100 });
    assert.equal(all.length, 11);
    assert.deepEqual(
      all.map((l) => l.request_id),
      ["r-0", "r-1", "r-2", "r-3", "r-4", "other", "r-5", "r-6", "r-7", "r-8", "r-9"],
    );
    assert.deepEqual(
      (await readAccessLog(dir, { limit: 2, grep: '"subject":"bob"' })).map((l) => l.request_id),
      ["r-7", "r-9"],
    );
    assert.equal((await readAccessLog(dir, { limit: 100, since: t0 + 8000 })).length, 2);
    assert.deepEqual(await readAccessLog(join(root, "none"), { limit: 10 }), []);
  });
});
