import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseManifest } from "../config/manifest.loader.ts";
import { resolveApp } from "../config/manifest.resolve.ts";
import type { ReleaseStrategy } from "../config/resolved-manifest.schema.ts";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import type { Db } from "../db/database.ts";
import { type Emit, EventLog } from "../events/event-log.ts";
import type { RampartEvent } from "../events/event.types.ts";
import { eventlessTables, platformMigrations } from "../platform/migrations.ts";
import { InstanceStore } from "../runtime/instance.store.ts";
import { FakeRuntime } from "../runtime/runtime.fake.ts";
import { FakeClock } from "../shared/fake-clock.ts";
import type { ReleaseWindow } from "../traffic/request-stats.store.ts";
import { FakeTrafficPusher } from "../traffic/traffic.fake.ts";
import { TrafficService } from "../traffic/traffic.service.ts";
import { TrafficStore } from "../traffic/traffic.store.ts";
import { ReleaseStore } from "./release.store.ts";
import type { ReleaseRecord } from "./release.types.ts";
import { RolloutEngine } from "./rollout-engine.ts";
import { RolloutStore } from "./rollout.store.ts";

/** Requests per release the fake edge reports: a function of the releases and the time since. */
export type FakeWindows = (release: number, sinceMs: number, nowMs: number) => ReleaseWindow;

/** Every release serves 100 requests a second, none failing, all fast. */
export const healthyTraffic: FakeWindows = (_release, since, now) => {
  const requests = Math.max(0, Math.floor((now - since) / 10));
  return { requests, errors: 0, buckets: [requests] };
};

/**
 * One database and clock shared by successive control planes (a "crash" is a control plane frozen mid-way and
 * a new one started on the same database), with the event audit on: every test also proves that no state was
 * written without its event.
 */
export class RolloutWorld {
  readonly clock = new FakeClock();
  readonly dir: string;
  readonly database: OpenedDatabase;
  readonly releases: ReleaseStore;
  readonly rollouts: RolloutStore;
  readonly instances: InstanceStore;
  readonly traffic: TrafficStore;
  windows: FakeWindows = healthyTraffic;

  private constructor(dir: string, database: OpenedDatabase) {
    this.dir = dir;
    this.database = database;
    this.releases = new ReleaseStore(database.db);
    this.rollouts = new RolloutStore(database.db);
    this.instances = new InstanceStore(database.db);
    this.traffic = new TrafficStore(database.db);
  }

  static async create(): Promise<RolloutWorld> {
    const dir = mkdtempSync(join(tmpdir(), "rampart-rollout-"));
    mkdirSync(join(dir, "web"));
    const database = await openDatabase(join(dir, "data"), platformMigrations, { audit: { eventless: eventlessTables } });
    return new RolloutWorld(dir, database);
  }

  async close(): Promise<void> {
    await this.database.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A control plane on this world: its own event log, traffic owner, fake runtime and engine. */
  async controlPlane(): Promise<ControlPlane> {
    const plane = new ControlPlane(this);
    await plane.start();
    return plane;
  }

  /** A release of `web` in production with its rollout (building), as ReleaseService.deploy makes them. */
  async createRelease(
    plane: ControlPlane,
    input: { strategy: ReleaseStrategy; release?: string },
  ): Promise<{ number: number; rolloutId: number }> {
    const config = appConfig(this.dir, input.strategy, input.release ?? "");
    const now = this.clock.now();
    return plane.events.transact(async (trx, emit) => {
      const live = await this.releases.findByStatus("production", "web", "live", trx);
      const number = await this.releases.nextNumber(trx, "production", "web");
      const release: ReleaseRecord = {
        env: "production",
        app: "web",
        number,
        artifactDigest: `digest-${number}`,
        config,
        strategy: input.strategy,
        status: "pending",
        reason: null,
        sourceDir: join(this.dir, "web"),
        git: null,
        rollbackOf: null,
        createdBy: "test",
        createdAt: now,
        liveAt: null,
        finishedAt: null,
      };
      await this.releases.insert(trx, release);
      const rolloutId = await this.rollouts.insert(trx, {
        env: "production",
        app: "web",
        release: number,
        fromRelease: live?.number ?? null,
        strategy: input.strategy,
        state: "building",
        step: 0,
        startedAt: now,
        updatedAt: now,
        finishedAt: null,
        data: {},
      });
      await emit({ env: "production", app: "web", release: number, type: "release.created", message: `release ${number}` });
      return { number, rolloutId };
    });
  }

  async events(): Promise<RampartEvent[]> {
    return new EventLog(this.database.db, this.clock).query({ limit: 10_000 });
  }

  /** The audit's findings so far (and clears them). */
  violations(): string[][] {
    return (this.database.audit?.violations.splice(0) ?? []).map((v) => v.writes);
  }
}

/** An event log that hangs every write once frozen: the control plane "died" right after its last commit. */
class FreezableEventLog extends EventLog {
  frozen = false;

  override async transact<T>(work: (trx: Db, emit: Emit) => Promise<T>): Promise<T> {
    if (this.frozen) await new Promise<never>(() => {});
    return super.transact(work);
  }
}

export class ControlPlane {
  readonly events: FreezableEventLog;
  readonly traffic: TrafficService;
  readonly runtime: FakeRuntime;
  readonly engine: RolloutEngine;
  readonly edge = new FakeTrafficPusher();

  constructor(world: RolloutWorld) {
    const clock = world.clock;
    this.events = new FreezableEventLog(world.database.db, clock);
    const events = this.events;
    this.traffic = new TrafficService({
      store: world.traffic,
      events,
      clock,
      pusher: this.edge,
    });
    this.runtime = new FakeRuntime({ store: world.instances, events, clock, traffic: this.traffic });
    this.engine = new RolloutEngine({
      releases: world.releases,
      rollouts: world.rollouts,
      artifacts: { ensureBuilt: async () => ({ ok: true }), collect: async () => [] },
      supervisor: this.runtime,
      traffic: this.traffic,
      events,
      clock: world.clock,
      launchConfig: () => ({
        cwd: world.dir,
        command: "true",
        env: {},
        health: { path: "/", intervalMs: 500, timeoutMs: 1000, unhealthyThreshold: 3, startTimeoutMs: 15_000 },
        drainMs: 1000,
      }),
      // Like the edge: a release with no instance in rotation gets no requests.
      windows: () => async (releases, since) => {
        const routable = (await world.traffic.all()).flatMap((t) => t.routable);
        const serving = (r: number) => routable.some((id) => id.includes(`.r${r}.`));
        const idle = { requests: 0, errors: 0, buckets: [] };
        return new Map(releases.map((r) => [r, serving(r) ? world.windows(r, since, world.clock.now()) : idle] as const));
      },
    });
  }

  async start(): Promise<void> {
    await this.traffic.load();
    await this.runtime.adoptAll();
  }

  /** Kills this control plane where it stands: every later write, push or instance action hangs forever. */
  freeze(): void {
    this.events.frozen = true;
    this.runtime.frozen = true;
    this.edge.frozen = true;
  }
}

function appConfig(dir: string, strategy: ReleaseStrategy, release: string) {
  const text = [
    "name: unit",
    "environments:",
    "  production: { port: 18080 }",
    "apps:",
    "  web:",
    "    source: ./web",
    "    run: node server.js",
    "    instances: 2",
    "    health: { path: /healthz, interval: 500ms }",
    `    release: { strategy: ${strategy}${release ? `, ${release}` : ""} }`,
  ].join("\n");
  return resolveApp(parseManifest(text, join(dir, "rampart.yaml")), "web", "production");
}
