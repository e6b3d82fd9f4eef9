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
import type { ReleaseStore } from "./release.store.ts";
import type { DeployBody, ReleaseRecord, ReleaseView, RollbackBody } from "./release.types.ts";

export interface ReleaseServiceDeps {
  manifests: ManifestSource;
  releases: ReleaseStore;
  rollouts: RolloutStore;
  artifacts: ArtifactService;
  engine: RolloutEngine;
  supervisor: InstanceSupervisor;
  events: EventLog;
  clock: Clock;
}

/** Strategies this version can run; blue-green and canary arrive with progressive delivery. */
const AVAILABLE_STRATEGIES: ReadonlySet<ReleaseStrategy> = new Set(["rolling"]);

export class ReleaseService {
  readonly #deps: ReleaseServiceDeps;

  constructor(deps: ReleaseServiceDeps) {
    this.#deps = deps;
  }

  /** Snapshots the source, records release N+1 and starts its rollout; returns at once (the rollout goes on). */
  async deploy(env: string, app: string, body: DeployBody, actor: string): Promise<ReleaseView> {
    const manifest = this.#deps.manifests.reload();
    const config = this.#deps.manifests.resolve(manifest, app, env);
    const strategy = this.#strategy(body.strategy ?? config.release.strategy);
    await this.#refuseConcurrent(env, app);
    const sourceDir = body.source ? (isAbsolute(body.source) ? body.source : resolve(manifest.dir, body.source)) : config.source;
    const what = body.source ? "--source" : `apps.${app}.source`;
    const snapshot = await this.#deps.artifacts.snapshot({ app, sourceDir, what, actor });
    const git = await gitInfo(sourceDir);
    return this.#create({ env, app, config, strategy, digest: snapshot.digest, sourceDir, git: git && { commit: git.commit, commitTime: git.commitTime, dirty: git.dirty }, rollbackOf: null, actor });
  }

  /** A new release from an older one's artifact and config, rolled out like any other. */
  async rollback(env: string, app: string, body: RollbackBody, actor: string): Promise<ReleaseView> {
    this.#deps.manifests.assertApp(env, app);
    await this.#refuseConcurrent(env, app);
    const live = await this.#deps.releases.findByStatus(env, app, "live");
    if (!live && body.to === undefined) throw new RampartError("nothing_to_roll_back", `${app} has no live release in ${env}`, { status: 409, hint: `rampart releases ${app} --env ${env}` });
    const target = body.to !== undefined ? await this.#deps.releases.get(env, app, body.to) : live && (await this.#deps.releases.previousLive(env, app, live.number));
    if (!target) {
      throw body.to !== undefined
        ? notFound(`release ${body.to} of ${app} in ${env}`, `rampart releases ${app} --env ${env} lists them`)
        : new RampartError("nothing_to_roll_back", `release ${live?.number} is the first release of ${app} in ${env} that went live; there is nothing before it`, { status: 409 });
    }
    if (live && target.number === live.number) throw conflict("already_live", `release ${target.number} is already live`);
    if (!(await this.#deps.artifacts.exists(target.artifactDigest))) {
      throw new RampartError("artifact_collected", `release ${target.number}'s artifact ${short(target.artifactDigest)} was garbage-collected (only the newest are kept)`, { status: 409, hint: "deploy that source again instead" });
    }
    return this.#create({ env, app, config: target.config, strategy: "rolling", digest: target.artifactDigest, sourceDir: target.sourceDir, git: target.git, rollbackOf: target.number, actor });
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
    rollbackOf: number | null;
    actor: string;
  }): Promise<ReleaseView> {
    const now = this.#deps.clock.now();
    const { release, rolloutId } = await this.#deps.events.transact(async (trx, emit) => {
      // Checked again inside the transaction: two deploys racing must not both start.
      if ((await this.#deps.rollouts.active(trx)).some((r) => r.env === input.env && r.app === input.app)) {
        throw conflict("rollout_in_progress", `a rollout of ${input.app} in ${input.env} is already in progress`);
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
      const origin = input.rollbackOf !== null ? `rollback to release ${input.rollbackOf}` : `artifact ${short(input.digest)}${input.git ? ` (git ${input.git.commit.slice(0, 12)}${input.git.dirty ? ", dirty" : ""})` : ""}`;
      await emit({ ...labels, type: "release.created", message: `release ${release.number} of ${input.app} in ${input.env}: ${origin}`, data: { artifact: input.digest, rollbackOf: input.rollbackOf, git: input.git } });
      await emit({ ...labels, type: "rollout.started", message: `${input.strategy} rollout of release ${release.number}${live ? ` replacing ${live.number}` : ""}`, data: { strategy: input.strategy, from: live?.number ?? null } });
      return { release, rolloutId };
    });
    this.#deps.engine.run(rolloutId);
    return this.#view(release);
  }

  #strategy(strategy: ReleaseStrategy): ReleaseStrategy {
    if (!AVAILABLE_STRATEGIES.has(strategy)) {
      throw new RampartError("strategy_unavailable", `release strategy "${strategy}" is not available in this version of Rampart; "rolling" is`, {
        status: 400,
        hint: "set release.strategy: rolling (or pass --strategy rolling)",
      });
    }
    return strategy;
  }

  async #refuseConcurrent(env: string, app: string): Promise<void> {
    const active = (await this.#deps.rollouts.active()).find((r) => r.env === env && r.app === app);
    if (active) {
      throw conflict("rollout_in_progress", `release ${active.release} of ${app} is still rolling out in ${env} (${active.state})`, `wait for it: rampart releases ${app} --env ${env}`);
    }
  }

  async #view(release: ReleaseRecord): Promise<ReleaseView> {
    const rollout = await this.#deps.rollouts.forRelease(release.env, release.app, release.number);
    const instances = this.#deps.supervisor.list().filter((i) => i.env === release.env && i.app === release.app && i.release === release.number);
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
      rollout: rollout ? { state: rollout.state, step: rollout.step, of: release.config.instances, message: rollout.data.message ?? null } : null,
      instances: instances.map(toInstanceView),
    };
  }
}
