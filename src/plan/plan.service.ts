import type { ManifestSource } from "../config/manifest-source.ts";
import { parseManifest } from "../config/manifest.loader.ts";
import type { Manifest, ResolvedApp } from "../config/resolved-manifest.schema.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { conflict } from "../shared/errors.ts";
import { exportManifest } from "./manifest-export.ts";
import { planChanges, planDigest } from "./plan-diff.ts";
import { redactChange } from "./plan-redact.ts";
import type { ApplyResult, Plan, PlanChange } from "./plan.types.ts";

export interface PlanDeps {
  manifests: Pick<ManifestSource, "current" | "text" | "peek" | "adopt" | "resolve" | "path">;
  /** The config of the live release of the app in the environment, or null. */
  liveConfig(env: string, app: string): Promise<ResolvedApp | null>;
  events: EventLog;
  clock: Clock;
  /** Rebuilds the routing table from the manifest now current and waits for the edge (environments, removed apps). */
  pushRouting(): Promise<void>;
}

/**
 * `rampart plan`, `apply` and `export` over one model of the running state: the manifest last applied plus each live
 * release's config (docs/adr/0020-plan-apply-running-state.md).
 */
export class PlanService {
  readonly #deps: PlanDeps;

  constructor(deps: PlanDeps) {
    this.#deps = deps;
  }

  async plan(): Promise<Plan> {
    const desired = this.#deps.manifests.peek().manifest;
    const changes = await this.#changes(desired);
    return { manifest: this.#deps.manifests.path, digest: planDigest(changes), changes: changes.map(redactChange) };
  }

  /** Carries out what needs no release; records manifest.applied with the actor; lists what needs a deploy or restart. */
  async apply(actor: string, digest: string | undefined): Promise<ApplyResult> {
    const { manifest: desired, text } = this.#deps.manifests.peek();
    const changes = await this.#changes(desired);
    if (digest !== undefined && digest !== planDigest(changes))
      throw conflict(
        "plan_changed",
        "rampart.yaml or the running state changed since that plan: nothing was applied",
        "rampart plan, then rampart apply",
      );
    const applied = changes.filter((c) => c.needs === null).map(redactChange);
    const pending = changes.filter((c) => c.needs !== null).map(redactChange);
    if (applied.length === 0) return { applied, pending, eventId: null };
    const event = await this.#deps.events.transact((_trx, emit) =>
      emit({
        type: "manifest.applied",
        actor,
        message: `${actor} applied ${this.#deps.manifests.path}: ${summary(applied)}${pending.length > 0 ? `; ${pending.length} change(s) wait for a release or restart` : ""}`,
        data: { digest: planDigest(changes), applied, pending },
      }),
    );
    this.#deps.manifests.adopt(desired, text);
    await this.#deps.pushRouting();
    return { applied, pending, eventId: event.id };
  }

  /** The running state as YAML that `rampart plan` shows as no changes (where rampart.yaml can say it). */
  async export(): Promise<string> {
    const applied = this.#deps.manifests.current;
    const pairs = [];
    for (const env of Object.keys(applied.environments))
      for (const app of Object.keys(applied.apps)) {
        const live = await this.#deps.liveConfig(env, app);
        if (live) pairs.push({ env, app, live, declared: this.#deps.manifests.resolve(applied, app, env) });
      }
    const header = [`exported by rampart export from the running platform at ${new Date(this.#deps.clock.now()).toISOString()}`];
    const draft = exportManifest({ appliedText: this.#deps.manifests.text, pairs }, header);
    // What per-environment overrides cannot say (health, release policy…) is named, so nobody is surprised by plan.
    const left = await this.#changes(parseManifest(draft, this.#deps.manifests.path, { checkSources: false }));
    if (left.length === 0) return draft;
    const notes = left.map((c) => `not expressible as an override; the live release differs at ${c.path}`);
    return exportManifest({ appliedText: this.#deps.manifests.text, pairs }, [...header, ...notes]);
  }

  async #changes(desired: Manifest): Promise<PlanChange[]> {
    const applied = this.#deps.manifests.current;
    const live = new Map<string, ResolvedApp>();
    for (const env of new Set([...Object.keys(applied.environments), ...Object.keys(desired.environments)]))
      for (const app of new Set([...Object.keys(applied.apps), ...Object.keys(desired.apps)])) {
        const config = await this.#deps.liveConfig(env, app);
        if (config) live.set(`${env}\u0000${app}`, config);
      }
    return planChanges({
      applied,
      desired,
      live: (env, app) => live.get(`${env}\u0000${app}`) ?? null,
      resolve: (m, app, env) => this.#deps.manifests.resolve(m, app, env),
    });
  }
}

function summary(changes: PlanChange[]): string {
  const shown = changes.slice(0, 5).map((c) => `${c.op} ${c.path}`);
  return `${shown.join(", ")}${changes.length > shown.length ? ` and ${changes.length - shown.length} more` : ""}`;
}
