import { join } from "node:path";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { RampartError } from "../shared/errors.ts";
import { storageError } from "../shared/storage-errors.ts";
import { isBuiltWith, readBuildMarker, runBuild, writeBuildMarker } from "./artifact-build.ts";
import { pickArtifactsToCollect, removeArtifact } from "./artifact-gc.ts";
import { snapshotSource } from "./artifact-snapshot.ts";
import type { ArtifactStore } from "./artifact.store.ts";
import type { ReleaseStore } from "./release.store.ts";

export interface ArtifactServiceDeps {
  artifacts: ArtifactStore;
  releases: ReleaseStore;
  events: EventLog;
  clock: Clock;
  dataDir: string;
  /** Artifacts kept per app beyond those in use (default 10). */
  retention: number;
  buildTimeoutMs: number;
}

export interface Snapshot {
  digest: string;
  srcDir: string;
  created: boolean;
}

/** Artifacts: snapshot once per content, build once per artifact, collect old ones but never one in use. */
export class ArtifactService {
  readonly #deps: ArtifactServiceDeps;
  readonly #root: string;

  constructor(deps: ArtifactServiceDeps) {
    this.#deps = deps;
    this.#root = join(deps.dataDir, "artifacts");
  }

  srcDir(digest: string): string {
    return join(this.#root, digest, "src");
  }

  async snapshot(input: { app: string; sourceDir: string; what: string; actor: string; exclude?: readonly string[] }): Promise<Snapshot> {
    let result;
    try {
      result = await snapshotSource({ sourceDir: input.sourceDir, artifactsRoot: this.#root, what: input.what, exclude: input.exclude });
    } catch (error) {
      // A full or read-only data dir is not a bad source: say so, rather than pointing at the manifest.
      throw (
        storageError(error, this.#deps.dataDir) ??
        new RampartError("invalid_source", error instanceof Error ? error.message : String(error), {
          hint: "set apps.<app>.source in rampart.yaml, or pass --source DIR",
        })
      );
    }
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.artifacts.upsert(
        trx,
        { digest: result.digest, dir: result.dir, files: result.files, bytes: result.bytes },
        this.#deps.clock.now(),
      );
      if (result.created) {
        await emit({
          type: "artifact.created",
          app: input.app,
          actor: input.actor,
          message: `artifact ${short(result.digest)}: ${result.files} files, ${result.bytes} bytes from ${input.sourceDir}`,
          data: { digest: result.digest, files: result.files, bytes: result.bytes },
        });
      } else {
        // Its last use moved (what artifact collection keeps by): a state change, so an event too.
        await emit({
          type: "artifact.reused",
          app: input.app,
          actor: input.actor,
          message: `artifact ${short(result.digest)} reused: the source is unchanged since it was snapshotted`,
          data: { digest: result.digest },
        });
      }
    });
    return { digest: result.digest, srcDir: result.srcDir, created: result.created };
  }

  /** Runs the app's build in the artifact once; a later deploy of the same content reuses its output. */
  async ensureBuilt(input: {
    env: string;
    app: string;
    release: number;
    digest: string;
    command: string | null;
    env_: Record<string, string>;
  }): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (!input.command) return { ok: true };
    const dir = join(this.#root, input.digest);
    if (isBuiltWith(await readBuildMarker(dir), input.command)) return { ok: true };
    const labels = { env: input.env, app: input.app, release: input.release };
    await this.#deps.events.append({
      ...labels,
      type: "artifact.build_started",
      message: `building ${short(input.digest)}: ${input.command}`,
      data: { digest: input.digest, command: input.command },
    });
    const result = await runBuild({
      dir: join(dir, "src"),
      command: input.command,
      logPath: join(dir, "build.log"),
      // The instance log layout, so the log tailer indexes the build as it runs and `rampart logs --instance` finds it.
      teePath: join(this.#deps.dataDir, "logs", input.env, input.app, `${buildInstance(input)}.log`),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...input.env_ },
      timeoutMs: this.#deps.buildTimeoutMs,
    });
    if (result.ok)
      await writeBuildMarker(dir, {
        command: input.command,
        ok: true,
        at: new Date(this.#deps.clock.now()).toISOString(),
        durationMs: result.durationMs,
      });
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.artifacts.setBuild(trx, input.digest, result.ok ? "built" : "failed", input.command, result.durationMs);
      await emit(
        result.ok
          ? {
              ...labels,
              type: "artifact.built",
              message: `built ${short(input.digest)} in ${result.durationMs} ms`,
              data: { digest: input.digest, durationMs: result.durationMs },
            }
          : {
              ...labels,
              type: "artifact.build_failed",
              message: `build of ${short(input.digest)} failed`,
              data: { digest: input.digest, exitCode: result.exitCode, timedOut: result.timedOut, tail: result.tail },
            },
      );
    });
    if (result.ok) return { ok: true };
    const how = result.timedOut
      ? `timed out after ${this.#deps.buildTimeoutMs} ms`
      : `exited with ${result.signal ?? `code ${result.exitCode}`}`;
    return {
      ok: false,
      reason: `build "${input.command}" ${how}; last output:\n${result.tail.join("\n")}\n(all of it: ${buildLogCommand(input)})`,
    };
  }

  /** Deletes artifacts beyond the retention count per app; never one a pending, deploying, live or running release uses. */
  async collect(inUseByInstances: Set<string>): Promise<string[]> {
    const uses = await this.#deps.releases.artifactUse();
    const inUse = new Set(inUseByInstances);
    const byApp = new Map<string, { digest: string; lastUsedAt: number }[]>();
    for (const use of uses) {
      if (use.status === "pending" || use.status === "deploying" || use.status === "live") inUse.add(use.digest);
      const list = byApp.get(use.app) ?? [];
      list.push({ digest: use.digest, lastUsedAt: use.createdAt });
      byApp.set(use.app, list);
    }
    const kept = new Set<string>();
    const candidates = new Set<string>();
    for (const artifacts of byApp.values()) {
      const doomed = new Set(pickArtifactsToCollect({ artifacts, inUse, keep: this.#deps.retention }));
      for (const { digest } of artifacts) (doomed.has(digest) ? candidates : kept).add(digest);
    }
    const collected = [...candidates].filter((digest) => !kept.has(digest) && !inUse.has(digest));
    for (const digest of collected) {
      await removeArtifact(this.#root, digest);
      await this.#deps.events.transact(async (trx, emit) => {
        await this.#deps.artifacts.remove(trx, digest);
        await emit({
          type: "artifact.collected",
          message: `collected artifact ${short(digest)} (beyond the ${this.#deps.retention} kept per app)`,
          data: { digest },
        });
      });
    }
    return collected;
  }

  async exists(digest: string): Promise<boolean> {
    return (await this.#deps.artifacts.get(digest)) !== undefined;
  }
}

/** The build's "instance" in the log pipeline: `<env>.<app>.r<N>.build`, beside the release's `<env>.<app>.r<N>.<slot>`. */
export function buildInstance(release: { env: string; app: string; release: number }): string {
  return `${release.env}.${release.app}.r${release.release}.build`;
}

/** The command that prints a release's whole build output. */
export function buildLogCommand(release: { env: string; app: string; release: number }): string {
  return `rampart logs ${release.app} --env ${release.env} --instance ${buildInstance(release)} --limit 10000`;
}

export function short(digest: string): string {
  return digest.slice(0, 19);
}
