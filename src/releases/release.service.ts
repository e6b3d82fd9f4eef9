import { isAbsolute, resolve } from "node:path";
import type { ManifestSource } from "../config/manifest-source.ts";
import type { ResolvedApp, ReleaseStrategy } from "../config/resolved-manifest.schema.ts";
import type { EventLog } from "../events/event-log.ts";
import type { InstanceSupervisor } from "../runtime/instance-supervisor.ts";
import { toInstanceView } from "../runtime/instance.types.ts";
import type { Clock } from "../shared/clock.ts";
import { conflict, notFound, RampartError } from "../shared/errors.ts";
import { gitInfo } from "./artifact-git.ts";
import { short, type ArtifactService } from "./artifact.service.ts";
import type { RolloutEngine } from "./rollout-engine.ts";
import type { RolloutStore } from "./rollout.store.ts";
import { blocksDeploys } from "./rollout.types.ts";
import type { ReleaseStore } from "./release.store.ts";
import type { DeployBody, PromoteBody, ReleaseRecord, ReleaseView, RollbackBody } from "./release.types.ts";
import type { SourceUploads } from "./source-upload.ts";

export interface ReleaseServiceDeps {
  manifests: ManifestSource;
  releases: ReleaseStore;
  rollouts: RolloutStore;
  artifacts: ArtifactService;
  engine: RolloutEngine;
  supervisor: Pick<InstanceSupervisor, "list" | "isRoutable">;
  events: EventLog;
  clock: Clock;
  uploads: SourceUploads;
  /** The app's secret names and versions for a new release (throws secret_missing); none when absent. */
  secrets?: { versionsFor(env: string, app: string, required: readonly string[]): Promise<Record<string, number>> };
  /** Readiness's gate on an app's first release in a protected environment (throws readiness_failed); none when absent. */
  gate?(input: { env: string; app: string; digest: string; actor: string; from: string }): Promise<void>;
}

export class ReleaseService {
  readonly #deps: ReleaseServiceDeps;

  constructor(deps: ReleaseServiceDeps) {
    this.#deps = deps;
  }

  /** Snapshots the source, records release N+1 and starts its rollout; returns at once (the rollout goes on). */
  async deploy(env: string, app: string, body: DeployBody, actor: string): Promise<ReleaseView> {
    const manifest = this.#deps.manifests.reload();
    const config = await this.#withSecrets(env, app, this.#deps.manifests.resolve(manifest, app, env));
    const strategy = body.strategy ?? config.release.strategy;
    await this.#refuseConcurrent(env, app);
    if (body.upload && body.source)
      throw new RampartError(
        "invalid_request",
        "give either source (a directory on the server) or upload (a bundle sent before), not both",
      );
    const uploaded = body.upload ? this.#deps.uploads.dirOf(body.upload) : null;
    const sourceDir =
      uploaded ?? (body.source ? (isAbsolute(body.source) ? body.source : resolve(manifest.dir, body.source)) : config.source);
    const what = body.upload ? `upload ${body.upload}` : body.source ? "--source" : `apps.${app}.source`;
    try {
      const snapshot = await this.#deps.artifacts.snapshot({ app, sourceDir, what, actor, exclude: config.exclude });
      // A bundle carries the git facts of the machine it was packed on; a directory here is read by git here.
      const git = body.upload ? (body.git ?? null) : await gitInfo(sourceDir);
      await this.#deps.gate?.({ env, app, digest: snapshot.digest, actor, from: `deployed now from ${what}` });
      return await this.#create({
        env,
        app,
        config,
        strategy,
        digest: snapshot.digest,
        sourceDir: body.upload ? `uploaded by ${actor}` : sourceDir,
        git: git && { commit: git.commit, commitTime: git.commitTime, dirty: git.dirty },
        branch: git?.branch ?? null,
        rollbackOf: null,
        actor,
      });
    } finally {
      if (body.upload) await this.#deps.uploads.discard(body.upload);
    }
  }

  /**
   * Back to an older release. When that release is still warm (blue-green keeps it up for `keep_warm`), traffic
   * switches at once and it is live again; otherwise a new release from its artifact and config rolls out
   * (rolling, no analysis: the older release already proved itself).
   */
  async rollback(env: string, app: string, body: RollbackBody, actor: string): Promise<ReleaseView> {
    this.#deps.manifests.assertApp(env, app);
    await this.#refuseConcurrent(env, app);
    const live = await this.#deps.releases.findByStatus(env, app, "live");
    const warm = (await this.#deps.rollouts.active()).find(
      (r) => r.env === env && r.app === app && r.state === "warm" && r.release === live?.number,
    );
    if (warm && warm.fromRelease !== null && (body.to === undefined || body.to === warm.fromRelease)) {
      const instances = this.#deps.supervisor
        .list()
        .filter((i) => i.env === env && i.app === app && i.release === warm.fromRelease && i.status === "healthy");
      if (instances.length > 0) {
        await this.#deps.engine.switchBack(warm, actor);
        return this.get(env, app, warm.fromRelease);
      }
    }
    if (!live && body.to === undefined)
      throw new RampartError("nothing_to_roll_back", `${app} has no live release in ${env}`, {
        hint: `rampart releases ${app} --env ${env}`,
      });
    const target =
      body.to !== undefined
        ? await this.#deps.releases.get(env, app, body.to)
        : live && (await this.#deps.releases.previousLive(env, app, live.number));
    if (!target) {
      throw body.to !== undefined
        ? notFound(`release ${body.to} of ${app} in ${env}`, `rampart releases ${app} --env ${env} lists them`)
        : new RampartError(
            "nothing_to_roll_back",
            `release ${live?.number} is the first release of ${app} in ${env} that went live; there is nothing before it`,
          );
    }
    if (live && target.number === live.number) throw conflict("already_live", `release ${target.number} is already live`);
    if (!(await this.#deps.artifacts.exists(target.artifactDigest))) {
      throw new RampartError(
        "artifact_collected",
        `release ${target.number}'s artifact ${short(target.artifactDigest)} was garbage-collected (only the newest are kept)`,
        { hint: "deploy that source again instead" },
      );
    }
    return this.#create({
      env,
      app,
      config: target.config,
      strategy: "rolling",
      digest: target.artifactDigest,
      sourceDir: target.sourceDir,
      git: target.git,
      rollbackOf: target.number,
      actor,
    });
  }

  /**
   * Deploys the very artifact live in `from` to `to` (no rebuild) with `to`'s config and release policy.
   * Refuses unless that artifact is live and healthy in `from`; `force` overrides and is recorded.
   */
  async promote(app: string, body: PromoteBody, actor: string): Promise<ReleaseView> {
    const manifest = this.#deps.manifests.reload();
    this.#deps.manifests.resolve(manifest, app, body.from);
    const config = await this.#withSecrets(body.to, app, this.#deps.manifests.resolve(manifest, app, body.to));
    await this.#refuseConcurrent(body.to, app);
    const source = await this.#deps.releases.findByStatus(body.from, app, "live");
    if (!source)
      throw conflict(
        "nothing_to_promote",
        `${app} has no live release in ${body.from}`,
        `deploy it there first: rampart deploy ${app} --env ${body.from} --wait`,
      );
    const instances = this.#deps.supervisor
      .list()
      .filter((i) => i.env === body.from && i.app === app && i.release === source.number && i.status !== "stopping");
    const unhealthy = instances.filter((i) => i.status !== "healthy");
    const problem =
      instances.length === 0
        ? "has no running instance"
        : unhealthy.length > 0
          ? `has unhealthy instances (${unhealthy.map((i) => `${i.id}: ${i.status}`).join(", ")})`
          : null;
    if (problem && !body.force) {
      throw conflict(
        "source_not_healthy",
        `release ${source.number} of ${app} in ${body.from} ${problem}; refusing to promote it`,
        "fix it, or pass --force (recorded in the events)",
      );
    }
    if (!(await this.#deps.artifacts.exists(source.artifactDigest)))
      throw conflict("artifact_collected", `the artifact of release ${source.number} was garbage-collected`);
    await this.#deps.gate?.({
      env: body.to,
      app,
      digest: source.artifactDigest,
      actor,
      from: `promoted from release ${source.number} in ${body.from}`,
    });
    const release = await this.#create({
      env: body.to,
      app,
      config,
      strategy: config.release.strategy,
      digest: source.artifactDigest,
      sourceDir: source.sourceDir,
      git: source.git,
      rollbackOf: null,
      actor,
      promotedFrom: { env: body.from, release: source.number, forced: problem !== null ? problem : null },
    });
    return release;
  }

  /**
   * A secret changed: release N+1 of the live release (same artifact, same config, the app's current secret
   * versions), rolled out with its strategy, like a config change on Heroku. Null when nothing is live.
   */
  async reconfigure(env: string, app: string, actor: string, cause: string): Promise<ReleaseView | null> {
    const live = await this.#deps.releases.findByStatus(env, app, "live");
    if (!live) return null;
    await this.#refuseConcurrent(env, app);
    const config = await this.#withSecrets(env, app, live.config);
    return this.#create({
      env,
      app,
      config,
      strategy: config.release.strategy,
      digest: live.artifactDigest,
      sourceDir: live.sourceDir,
      git: live.git,
      rollbackOf: null,
      actor,
      cause,
    });
  }

  /** Throws rollout_in_progress while a rollout of the app is under way. */
  assertIdle(env: string, app: string): Promise<void> {
    this.#deps.manifests.assertApp(env, app);
    return this.#refuseConcurrent(env, app);
  }

  async #withSecrets(env: string, app: string, config: ResolvedApp): Promise<ResolvedApp> {
    if (!this.#deps.secrets) return config;
    return { ...config, secretVersions: await this.#deps.secrets.versionsFor(env, app, config.secrets ?? []) };
  }

  async list(env: string, app: string): Promise<ReleaseView[]> {
    this.#deps.manifests.assertApp(env, app);
    const releases = await this.#deps.releases.list(env, app);
    return Promise.all(releases.map((r) => this.#view(r)));
  }

  async get(env: string, app: string, number: number): Promise<ReleaseView> {
    this.#deps.manifests.assertApp(env, app);
    const release = await this.#deps.releases.get(env, app, number);
    if (!release) throw notFound(`release ${number} of ${app} in ${env}`, `rampart releases ${app} --env ${env} lists them`);
    return this.#view(release);
  }

  async #create(input: {
    env: string;
    app: string;
    config: ResolvedApp;
    strategy: ReleaseStrategy;
    digest: string;
    sourceDir: string;
    git: ReleaseRecord["git"];
    /** Recorded in release.created (the release record keeps commit, time and dirtiness). */
    branch?: string | null;
    rollbackOf: number | null;
    actor: string;
    promotedFrom?: { env: string; release: number; forced: string | null };
    /** Why a release of the same artifact was made (a secret change). */
    cause?: string;
  }): Promise<ReleaseView> {
    const now = this.#deps.clock.now();
    const { release, rolloutId } = await this.#deps.events.transact(async (trx, emit) => {
      // Checked again inside the transaction: two deploys racing must not both start.
      const previous = (await this.#deps.rollouts.active(trx)).filter((r) => r.env === input.env && r.app === input.app);
      if (previous.some((r) => blocksDeploys(r.state))) {
        throw conflict("rollout_in_progress", `a rollout of ${input.app} in ${input.env} is already in progress`);
      }
      // A release kept warm for an instant rollback is let go once the next deploy starts.
      for (const warm of previous.filter((r) => r.state === "warm")) {
        await this.#deps.rollouts.update(trx, warm.id, {
          state: "draining",
          updatedAt: now,
          data: { message: `a new deploy started; release ${warm.fromRelease} no longer kept warm` },
        });
        await emit({
          env: warm.env,
          app: warm.app,
          release: warm.release,
          actor: input.actor,
          type: "rollout.step",
          message: `a new deploy started; release ${warm.fromRelease} no longer kept warm, draining it`,
          data: { state: "draining", step: warm.step },
        });
      }
      const live = await this.#deps.releases.findByStatus(input.env, input.app, "live", trx);
      const release: ReleaseRecord = {
        env: input.env,
        app: input.app,
        number: await this.#deps.releases.nextNumber(trx, input.env, input.app),
        artifactDigest: input.digest,
        config: input.config,
        strategy: input.strategy,
        status: "pending",
        reason: null,
        sourceDir: input.sourceDir,
        git: input.git,
        rollbackOf: input.rollbackOf,
        createdBy: input.actor,
        createdAt: now,
        liveAt: null,
        finishedAt: null,
      };
      await this.#deps.releases.insert(trx, release);
      const rolloutId = await this.#deps.rollouts.insert(trx, {
        env: input.env,
        app: input.app,
        release: release.number,
        fromRelease: live?.number ?? null,
        strategy: input.strategy,
        state: "building",
        step: 0,
        startedAt: now,
        updatedAt: now,
        finishedAt: null,
        data: { isRollback: input.rollbackOf !== null },
      });
      const labels = { env: input.env, app: input.app, release: release.number, actor: input.actor };
      const origin = input.cause
        ? `${input.cause}, artifact ${short(input.digest)} unchanged`
        : input.promotedFrom
          ? `promoted from ${input.promotedFrom.env} release ${input.promotedFrom.release} (artifact ${short(input.digest)})${input.promotedFrom.forced ? `, FORCED although the source ${input.promotedFrom.forced}` : ""}`
          : input.rollbackOf !== null
            ? `rollback to release ${input.rollbackOf}`
            : `artifact ${short(input.digest)}${input.git ? ` (git ${input.git.commit.slice(0, 12)}${input.git.dirty ? ", dirty" : ""})` : ""}`;
      await emit({
        ...labels,
        type: "release.created",
        message: `release ${release.number} of ${input.app} in ${input.env}: ${origin}`,
        data: {
          artifact: input.digest,
          rollbackOf: input.rollbackOf,
          git: input.git && { ...input.git, branch: input.branch ?? null },
          promotedFrom: input.promotedFrom ?? null,
          // Names and versions only: the values stay in the encrypted store.
          secrets: input.config.secretVersions ?? {},
        },
      });
      if (input.promotedFrom) {
        await emit({
          ...labels,
          type: "release.promoted",
          message: `${input.app}: ${input.promotedFrom.env} release ${input.promotedFrom.release} promoted to ${input.env} as release ${release.number}${input.promotedFrom.forced ? " (forced)" : ""}`,
          data: { ...input.promotedFrom },
        });
      }
      await emit({
        ...labels,
        type: "rollout.started",
        message: `${input.strategy} rollout of release ${release.number}${live ? ` replacing ${live.number}` : ""}`,
        data: { strategy: input.strategy, from: live?.number ?? null },
      });
      return { release, rolloutId };
    });
    this.#deps.engine.run(rolloutId);
    return this.#view(release);
  }

  async #refuseConcurrent(env: string, app: string): Promise<void> {
    const active = (await this.#deps.rollouts.active()).find((r) => r.env === env && r.app === app && blocksDeploys(r.state));
    if (active) {
      throw conflict(
        "rollout_in_progress",
        `release ${active.release} of ${app} is still rolling out in ${env} (${active.state})`,
        `follow it with \`rampart rollout ${app} --env ${env}\`, or stop it: \`rampart rollout ${app} --env ${env} abort\``,
      );
    }
  }

  async #view(release: ReleaseRecord): Promise<ReleaseView> {
    const rollout = await this.#deps.rollouts.forRelease(release.env, release.app, release.number);
    const instances = this.#deps.supervisor
      .list()
      .filter((i) => i.env === release.env && i.app === release.app && i.release === release.number);
    return {
      env: release.env,
      app: release.app,
      number: release.number,
      status: release.status,
      reason: release.reason,
      strategy: release.strategy,
      artifact: release.artifactDigest,
      sourceDir: release.sourceDir,
      git: release.git,
      rollbackOf: release.rollbackOf,
      createdBy: release.createdBy,
      createdAt: release.createdAt,
      liveAt: release.liveAt,
      finishedAt: release.finishedAt,
      config: release.config,
      rollout: rollout
        ? {
            state: rollout.state,
            step: rollout.step,
            of:
              release.strategy === "canary"
                ? release.config.release.steps.length
                : release.strategy === "blue-green"
                  ? 1
                  : release.config.instances,
            message: rollout.data.message ?? null,
            verdict: rollout.data.verdict ?? null,
          }
        : null,
      instances: instances.map((i) => toInstanceView(i, this.#deps.supervisor.isRoutable(i))),
    };
  }
}
