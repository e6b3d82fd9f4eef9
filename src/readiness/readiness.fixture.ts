import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManifestSource } from "../config/manifest-source.ts";
import { openDatabase } from "../db/database.ts";
import { EventLog } from "../events/event-log.ts";
import { eventlessTables, platformMigrations } from "../platform/migrations.ts";
import { FakeClock } from "../shared/fake-clock.ts";
import type { OwnSecret } from "./artifact-scan.ts";
import { ReadinessService } from "./readiness.service.ts";
import type { LoadTestSource, OnCallSource, ParitySource, RollbackDrillSource } from "./readiness.types.ts";

type Release = { status: string; artifactDigest: string };
type LoadTest = Awaited<ReturnType<LoadTestSource["latest"]>>;

/**
 * A readiness service over a real event log (the event audit checks every write has its event), a fake clock and
 * fakes for everything it reads: the manifest (YAML text), releases, artifacts (directories), checks, on-call, load
 * tests, drills and parity. Each field can be changed between calls.
 */
export async function readinessWorld(yaml: string, start = Date.parse("2026-03-28T12:00:00Z")) {
  const dir = mkdtempSync(join(tmpdir(), "rampart-readiness-"));
  const opened = await openDatabase(dir, platformMigrations, { audit: { eventless: eventlessTables } });
  const clock = new FakeClock(start);
  const events = new EventLog(opened.db, clock);
  const manifestPath = join(dir, "rampart.yaml");
  writeFileSync(manifestPath, yaml);
  const manifests = new ManifestSource(manifestPath);
  const state = {
    releases: new Map<string, Release[]>(),
    secrets: [] as OwnSecret[],
    checks: new Map<string, { name: string; ok: boolean }[]>(),
    onCall: [] as Awaited<ReturnType<OnCallSource["who"]>>["schedules"],
    loadTests: new Map<string, LoadTest>(),
    drills: new Map<string, { at: number; ok: boolean }>(),
    drift: new Map<string, { unallowed: number; summary: string }>(),
  };
  const drills: RollbackDrillSource = { latest: async (env, app) => state.drills.get(`${env}/${app}`) ?? null };
  const parity: ParitySource = { drift: async (app, from, to) => state.drift.get(`${app}:${from}->${to}`) ?? null };
  const make = (options: { drills?: boolean; parity?: boolean } = {}) =>
    new ReadinessService({
      events,
      clock,
      manifests,
      releases: async (env, app) => state.releases.get(`${env}/${app}`) ?? [],
      artifactDir: (digest) => join(dir, "artifacts", digest),
      secretValues: async () => state.secrets,
      checkResults: (env, app) => state.checks.get(`${env}/${app}`) ?? [],
      oncall: { who: async () => ({ schedules: state.onCall }) },
      loadTests: { latest: async (env, app) => state.loadTests.get(`${env}/${app}`) ?? null },
      ...(options.drills !== false && { rollbackDrills: drills }),
      ...(options.parity !== false && { parity }),
    });
  /** An artifact directory with these files; returns its digest. */
  const artifact = (files: Record<string, string>): string => {
    const digest = `sha256-${String(state.releases.size + Math.random())
      .replace(/\D/g, "")
      .padEnd(64, "0")
      .slice(0, 64)}`;
    for (const [name, text] of Object.entries(files)) {
      const path = join(dir, "artifacts", digest, name);
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, text);
    }
    return digest;
  };
  return {
    state,
    clock,
    events,
    make,
    artifact,
    setManifest: (text: string) => writeFileSync(manifestPath, text),
    close: async () => {
      await opened.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
