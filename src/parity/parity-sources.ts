import type { Manifest, ResolvedApp } from "../config/resolved-manifest.schema.ts";
import type { InstanceStatus } from "../runtime/instance.types.ts";
import type { DatabaseInspector } from "./database-stats.ts";
import { redactedError } from "./database-stats.ts";
import type { AppSide, DatabaseSide, RuntimeView } from "./parity.types.ts";
import type { ProcessRuntime } from "./runtime-probe.ts";

/** What parity reads, each from its owner (releases, runtime, secrets, flags): narrow, so the tests give fakes. */
export interface ParitySources {
  manifest(): Manifest;
  liveRelease(env: string, app: string): Promise<{ number: number; artifactDigest: string; config: ResolvedApp } | null>;
  instances(env: string, app: string): { release: number; status: InstanceStatus; pid: number | null }[];
  /** Names and versions set now (never values). */
  secrets(env: string, app: string): Promise<{ name: string; version: number; setAt: number }[]>;
  flags(): Promise<{ key: string; environments: { env: string; enabled: boolean; serving: string }[] }[]>;
  /** The value of the secret holding a database's URL: used to connect, never returned. */
  secretValue(env: string, app: string, name: string): Promise<string>;
  databases: DatabaseInspector;
  runtime: { ofPid(pid: number): Promise<ProcessRuntime | null> };
}

const GONE: ReadonlySet<InstanceStatus> = new Set(["stopped", "stopping", "failed"]);

/** One app in one environment as it runs now: the live release's config snapshot, its processes, secrets, databases. */
export async function appSide(sources: ParitySources, env: string, app: string): Promise<AppSide> {
  const live = await sources.liveRelease(env, app);
  const config = live?.config ?? null;
  const running = live ? sources.instances(env, app).filter((i) => i.release === live.number && !GONE.has(i.status)) : [];
  const declared = sources.manifest().apps[app]?.perEnv[env] ?? null;
  const [secrets, runtimes, databases] = await Promise.all([
    sources.secrets(env, app),
    runtimesOf(sources, running),
    // Databases are declared in rampart.yaml: compared even before anything is deployed.
    databasesOf(sources, env, app, (config ?? declared)?.databases ?? {}),
  ]);
  return {
    env,
    release: live?.number ?? null,
    artifact: live?.artifactDigest ?? null,
    run: config?.run ?? null,
    build: config?.build ?? null,
    envVars: config?.env ?? {},
    secrets: Object.fromEntries(secrets.map((s) => [s.name, { version: s.version, setAt: s.setAt }])),
    instances: {
      declared: config?.instances ?? null,
      running: running.length,
      healthy: running.filter((i) => i.status === "healthy").length,
    },
    limits: config ? { ...config.limits, timeoutMs: config.timeoutMs } : null,
    routes: config?.routes ?? null,
    hosts: config?.hosts ?? null,
    health: config?.health ?? null,
    drainMs: config?.drainMs ?? null,
    strategy: config?.release.strategy ?? null,
    runtimes,
    databases,
  };
}

async function runtimesOf(sources: ParitySources, instances: { pid: number | null }[]): Promise<RuntimeView[]> {
  const seen = await Promise.all(instances.map((i) => (i.pid === null ? null : sources.runtime.ofPid(i.pid))));
  const byBinary = new Map<string, RuntimeView>();
  for (const r of seen) {
    if (r === null) continue;
    const key = `${r.binary}\u0000${r.version}`;
    const view = byBinary.get(key) ?? {
      binary: r.replaced ? `${r.binary} (replaced since start)` : r.binary,
      name: r.name,
      version: r.version,
      instances: 0,
    };
    view.instances += 1;
    byBinary.set(key, view);
  }
  return [...byBinary.values()].sort((a, b) => a.binary.localeCompare(b.binary));
}

async function databasesOf(
  sources: ParitySources,
  env: string,
  app: string,
  declared: Record<string, { kind: string; urlSecret: string }>,
): Promise<DatabaseSide[]> {
  return Promise.all(
    Object.entries(declared).map(async ([name, db]): Promise<DatabaseSide> => {
      let url: string;
      try {
        url = await sources.secretValue(env, app, db.urlSecret);
      } catch (error) {
        return { name, kind: db.kind, error: `its URL (secret ${db.urlSecret}) cannot be read: ${redactedError(error, "")}`, tables: [] };
      }
      try {
        return { name, kind: db.kind, error: null, tables: await sources.databases.inspect(db.kind, url) };
      } catch (error) {
        return { name, kind: db.kind, error: redactedError(error, url), tables: [] };
      }
    }),
  );
}
