import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { APP_DEFAULTS } from "../config/manifest.defaults.ts";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { EventLog } from "../events/event-log.ts";
import { ArtifactService } from "./artifact.service.ts";
import { ArtifactStore } from "./artifact.store.ts";
import { ReleaseStore } from "./release.store.ts";
import type { ReleaseStatus } from "./release.types.ts";

describe("ArtifactService", () => {
  let dir: string;
  let opened: OpenedDatabase;
  let service: ArtifactService;
  let releases: ReleaseStore;
  let events: EventLog;
  let now = 1_000;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "rampart-artifacts-"));
    opened = await openDatabase(join(dir, "data"), platformMigrations);
    events = new EventLog(opened.db, { now: () => now });
    releases = new ReleaseStore(opened.db);
    service = new ArtifactService({
      artifacts: new ArtifactStore(opened.db),
      releases,
      events,
      clock: { now: () => now },
      dataDir: join(dir, "data"),
      retention: 3,
      buildTimeoutMs: 30_000,
    });
  });
  after(async () => {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const source = (content: string) => {
    const src = join(dir, `src-${content}`);
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, "app.js"), content);
    return src;
  };

  const release = async (number: number, digest: string, status: ReleaseStatus) => {
    await releases.insert(opened.db, {
      env: "production",
      app: "web",
      number,
      artifactDigest: digest,
      config: { ...APP_DEFAULTS, name: "web", source: "", exclude: [], run: "x" },
      strategy: "rolling",
      status,
      reason: null,
      sourceDir: "",
      git: null,
      rollbackOf: null,
      createdBy: "t",
      createdAt: number,
      liveAt: null,
      finishedAt: null,
    });
  };

  it("same content is the same artifact; the build runs once per artifact", async () => {
    const a = await service.snapshot({ app: "web", sourceDir: source("one"), what: "apps.web.source", actor: "t" });
    const b = await service.snapshot({ app: "web", sourceDir: source("one"), what: "apps.web.source", actor: "t" });
    assert.equal(a.digest, b.digest);
    assert.equal(b.created, false);
    const build = { env: "production", app: "web", release: 1, digest: a.digest, command: "echo built >> count.txt", env_: {} };
    assert.deepEqual(await service.ensureBuilt(build), { ok: true });
    assert.deepEqual(await service.ensureBuilt(build), { ok: true });
    assert.equal(readFileSync(join(a.srcDir, "count.txt"), "utf8"), "built\n", "built once");
    const built = await events.query({ type: "artifact.built", limit: 10 });
    assert.equal(built.length, 1);
  });

  it("a failed build says why, with the output's tail", async () => {
    const a = await service.snapshot({ app: "web", sourceDir: source("broken"), what: "apps.web.source", actor: "t" });
    const result = await service.ensureBuilt({
      env: "production",
      app: "web",
      release: 2,
      digest: a.digest,
      command: "echo compiling; echo 'syntax error' >&2; exit 2",
      env_: {},
    });
    assert.equal(result.ok, false);
    assert.match(result.ok ? "" : result.reason, /exited with code 2.*syntax error/s);
  });

  it("keeps the newest `retention` artifacts per app and every one in use", async () => {
    const digests: string[] = [];
    for (let i = 0; i < 6; i++) {
      now += 1_000;
      const snapshot = await service.snapshot({ app: "web", sourceDir: source(`v${i}`), what: "apps.web.source", actor: "t" });
      digests.push(snapshot.digest);
      await release(10 + i, snapshot.digest, i === 0 ? "live" : "superseded");
    }
    const collected = await service.collect(new Set([digests[1] ?? ""]));
    // Newest three kept (v3, v4, v5); v0 is live and v1 has running instances; v2 goes.
    assert.deepEqual(collected, [digests[2]]);
    assert.equal(existsSync(join(dir, "data", "artifacts", digests[2] ?? "")), false);
    for (const kept of [digests[0], digests[1], digests[3], digests[4], digests[5]]) {
      assert.ok(await service.exists(kept ?? ""), `kept ${kept}`);
    }
  });
});
