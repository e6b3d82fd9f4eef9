import { existsSync } from "node:fs";
import type { ManifestSource } from "../config/manifest-source.ts";
import type { Manifest } from "../config/resolved-manifest.schema.ts";
import type { EventLog } from "../events/event-log.ts";
import { policiesOf } from "../oncall/oncall.schema.ts";
import type { Clock } from "../shared/clock.ts";
import { RampartError } from "../shared/errors.ts";
import { type OwnSecret, type ScanResult, scanArtifact } from "./artifact-scan.ts";
import * as check from "./readiness-checks.ts";
import type { OnCallFacts } from "./readiness-checks.ts";
import {
  DEFAULT_MAX_AGE_DAYS,
  DEFAULT_PROTECTED_REQUIRE,
  type LoadTestSource,
  type OnCallSource,
  type OverrideView,
  type ParitySource,
  type ReadinessCheck,
  type ReadinessReport,
  type ReadinessSettings,
  type RollbackDrillSource,
} from "./readiness.types.ts";

/** An override lets the first deploy through for this long after it is given: long enough for one deploy, not a standing pass. */
export const OVERRIDE_TTL_MS = 60 * 60_000;

export interface ReadinessDeps {
  events: EventLog;
  clock: Clock;
  /** rampart.yaml, read again at each report (an edit shows at once, as a deploy reads it again). */
  manifests: Pick<ManifestSource, "reload" | "resolve">;
  /** The app's releases in an environment, newest first. */
  releases(env: string, app: string): Promise<{ status: string; artifactDigest: string }[]>;
  /** Where an artifact's files are. */
  artifactDir(digest: string): string;
  /** The app's current secret values in every environment: looked for in the artifact, never shown. */
  secretValues(app: string): Promise<OwnSecret[]>;
  /** The latest result of each synthetic check of the app in the environment. */
  checkResults(env: string, app: string): { name: string; ok: boolean }[];
  oncall: OnCallSource;
  loadTests: LoadTestSource;
  /** Absent until the rollback drills capability is wired: the check then shows "unavailable". */
  rollbackDrills?: RollbackDrillSource;
  /** Absent until the parity capability is wired: the check then shows "unavailable". */
  parity?: ParitySource;
}

/**
 * The readiness scorecard of an app in an environment, and the gate on its first deploy to a protected one.
 * Later deploys are not gated: readiness is a launch review, and an emergency fix must not wait for a load test.
 */
export class ReadinessService {
  readonly #deps: ReadinessDeps;

  constructor(deps: ReadinessDeps) {
    this.#deps = deps;
  }

  /** The scorecard; `digest` is the artifact about to be deployed (the gate), else the one the environment would get. */
  async report(env: string, app: string, digest?: { digest: string; from: string }): Promise<ReadinessReport> {
    const manifest = this.#deps.manifests.reload();
    const config = this.#deps.manifests.resolve(manifest, app, env);
    const isProtected = manifest.environments[env]?.protected ?? false;
    const settings = settingsOf(manifest, env, isProtected);
    const facts = manifest.readiness?.apps[app] ?? { owner: null, runbook: null, healthDeclaredIn: [] };
    const now = this.#deps.clock.now();
    const w = { env, app };
    const fresh = { now, maxAgeDays: settings.maxAgeDays };
    const staging = settings.staging !== null && Object.hasOwn(manifest.environments, settings.staging) ? settings.staging : null;
    const own = await this.#deps.releases(env, app);
    const artifact = digest ?? (await this.#artifactFor(env, app, own, staging));
    const scan = artifact && {
      ...artifact,
      result: await this.#scan(artifact.digest, app),
    };
    // Checks run where the app serves: this environment once it has a release, else where it is tried first.
    const checksEnv = own.some((r) => r.status === "live") ? env : staging;
    const verdicts: check.Verdict[] = [
      check.healthCheck(w, facts, config.health),
      check.noSecrets(w, scan),
      check.owner(w, facts),
      check.runbook(w, facts),
      check.alertsRouted(w, await this.#onCallFacts(manifest, app)),
      check.checksGreen(w, checksEnv, checksEnv === null ? [] : this.#deps.checkResults(checksEnv, app)),
      check.releaseStrategy(w, isProtected, config.release.strategy),
      check.loadTest(w, staging, settings.loadRate, fresh, staging === null ? null : await this.#deps.loadTests.latest(staging, app)),
      check.rollbackDrill(
        w,
        staging,
        fresh,
        this.#deps.rollbackDrills && staging !== null
          ? await this.#deps.rollbackDrills.latest(staging, app)
          : this.#deps.rollbackDrills
            ? null
            : undefined,
      ),
      check.parity(
        w,
        staging,
        this.#deps.parity && staging !== null ? await this.#deps.parity.drift(app, staging, env) : this.#deps.parity ? null : undefined,
      ),
    ];
    const checks: ReadinessCheck[] = verdicts.map((v) => ({ ...v, required: settings.require.includes(v.name) }));
    return {
      env,
      app,
      protected: isProtected,
      gated: isProtected && own.length === 0,
      ready: checks.every((c) => !c.required || c.status === "pass"),
      artifact: artifact ?? null,
      checks,
    };
  }

  /**
   * Called by a deploy or promotion before it creates a release: the first release of an app in a protected
   * environment needs every required check to pass, or an override given within the last hour.
   */
  async gate(input: { env: string; app: string; digest: string; actor: string; from: string }): Promise<void> {
    const { env, app, actor } = input;
    if (!(this.#deps.manifests.reload().environments[env]?.protected ?? false)) return;
    if ((await this.#deps.releases(env, app)).length > 0) return;
    const report = await this.report(env, app, { digest: input.digest, from: input.from });
    const failing = report.checks.filter((c) => c.required && c.status !== "pass");
    const summary = report.checks.map((c) => ({ name: c.name, required: c.required, status: c.status }));
    if (failing.length === 0) {
      await this.#deps.events.append({
        type: "readiness.passed",
        env,
        app,
        actor,
        message: `first deploy of ${app} to protected ${env}: every required readiness check passes (${report.checks
          .filter((c) => c.required)
          .map((c) => c.name)
          .join(", ")})`,
        data: { checks: summary, artifact: input.digest },
      });
      return;
    }
    const override = await this.#activeOverride(env, app);
    if (override) {
      await this.#deps.events.append({
        type: "readiness.passed",
        env,
        app,
        actor,
        message: `first deploy of ${app} to protected ${env} goes out with failing readiness checks (${failing.map((c) => c.name).join(", ")}): overridden by ${override.actor}: ${override.reason}`,
        data: { checks: summary, artifact: input.digest, override: { by: override.actor, reason: override.reason, eventId: override.id } },
      });
      return;
    }
    throw new RampartError(
      "readiness_failed",
      `the first deploy of ${app} to protected ${env} needs its required readiness checks to pass; failing: ${failing.map((c) => `${c.name} (${c.detail})`).join("; ")}`,
      {
        hint: `${failing.map((c) => `${c.name}: ${c.fix ?? "see rampart readiness"}`).join(" | ")} | the scorecard: rampart readiness ${app} --env ${env}; or, with permission readiness.override: rampart deploy ${app} --env ${env} --override-readiness --reason TEXT`,
        details: {
          failing: failing.map(({ name, status, detail, fix, findings }) => ({ name, status, detail, fix, ...(findings && { findings }) })),
        },
      },
    );
  }

  /** Lets the next first deploy of the app to a protected environment through within the hour; recorded with who and why. */
  async override(env: string, app: string, reason: string, actor: string): Promise<OverrideView> {
    const manifest = this.#deps.manifests.reload();
    this.#deps.manifests.resolve(manifest, app, env);
    if (!(manifest.environments[env]?.protected ?? false))
      throw new RampartError(
        "readiness_not_gated",
        `${env} is not protected: its deploys are not gated by readiness, there is nothing to override`,
        {
          hint: `deploy: rampart deploy ${app} --env ${env}`,
        },
      );
    if ((await this.#deps.releases(env, app)).length > 0)
      throw new RampartError(
        "readiness_not_gated",
        `${app} already has releases in ${env}: only the first deploy is gated, there is nothing to override`,
        {
          hint: `deploy: rampart deploy ${app} --env ${env}`,
        },
      );
    const report = await this.report(env, app);
    const failing = report.checks.filter((c) => c.required && c.status !== "pass").map((c) => c.name);
    const event = await this.#deps.events.append({
      type: "readiness.overridden",
      env,
      app,
      actor,
      message: `${actor} overrode the readiness gate of ${app}'s first deploy to ${env}${failing.length > 0 ? ` (failing: ${failing.join(", ")})` : ""}: ${reason}`,
      data: { reason, failing },
    });
    return { env, app, actor, reason, at: event.at, expiresAt: event.at + OVERRIDE_TTL_MS, failing };
  }

  /** Null when the artifact was garbage-collected since its release was made. */
  async #scan(digest: string, app: string): Promise<ScanResult | null> {
    const dir = this.#deps.artifactDir(digest);
    if (!existsSync(dir)) return null;
    return scanArtifact(dir, await this.#deps.secretValues(app));
  }

  async #activeOverride(env: string, app: string): Promise<{ id: number; actor: string; reason: string } | null> {
    const since = this.#deps.clock.now() - OVERRIDE_TTL_MS;
    const last = (await this.#deps.events.query({ type: "readiness.overridden", env, app, since, limit: 10_000 })).at(-1);
    if (!last) return null;
    return { id: last.id, actor: last.actor, reason: typeof last.data.reason === "string" ? last.data.reason : "" };
  }

  /** This environment's newest release, else what its staging environment serves (what a promotion would bring). */
  async #artifactFor(
    env: string,
    app: string,
    own: { status: string; artifactDigest: string }[],
    staging: string | null,
  ): Promise<{ digest: string; from: string } | null> {
    const newest = own[0];
    if (newest) return { digest: newest.artifactDigest, from: `the newest release in ${env}` };
    if (staging === null) return null;
    const there = await this.#deps.releases(staging, app);
    const candidate = there.find((r) => r.status === "live") ?? there[0];
    return candidate
      ? { digest: candidate.artifactDigest, from: `${candidate.status === "live" ? "live" : "newest"} in ${staging}` }
      : null;
  }

  async #onCallFacts(manifest: Manifest, app: string): Promise<OnCallFacts> {
    const { policies } = policiesOf(manifest.oncall);
    // The escalation label of the app's own critical rules names their policy; every other critical alert uses `default`.
    const labelled = (manifest.apps[app]?.alerts ?? []).find((r) => r.severity === "critical" && r.labels?.escalation)?.labels?.escalation;
    const people = manifest.oncall?.people ?? {};
    const who = Object.keys(manifest.oncall?.schedules ?? {}).length > 0 ? await this.#deps.oncall.who() : { schedules: [] };
    return {
      policy: labelled ?? "default",
      policies: Object.fromEntries(
        Object.entries(policies).map(([name, steps]) => [name, steps.map((s) => `${s.notify.kind}:${s.notify.name}`)]),
      ),
      onCall: Object.fromEntries(who.schedules.map((s) => [s.schedule, { user: s.user, reachable: s.contact !== null }])),
      reachablePeople: Object.keys(people),
    };
  }
}

function settingsOf(manifest: Manifest, env: string, isProtected: boolean): ReadinessSettings {
  return (
    manifest.readiness?.environments[env] ?? {
      require: isProtected ? [...DEFAULT_PROTECTED_REQUIRE] : [],
      maxAgeDays: DEFAULT_MAX_AGE_DAYS,
      loadRate: null,
      staging: null,
    }
  );
}
