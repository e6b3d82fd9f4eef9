import type { AlertInstance } from "./alert.types.ts";

/** Where an app's deploys stand: the release serving and the rollout in progress, if any. */
export interface DeployContext {
  env: string;
  app: string;
  /** The release in progress during a rollout, else the live one; null before any release. */
  release: number | null;
  rollout: { id: number; strategy: string; state: string; fromRelease: number | null; startedAt: number; release: number } | null;
}

/** The labels an alert about this app carries: `release` always (when known), the rollout's while one runs. */
export function deployLabels(context: DeployContext | undefined): Record<string, string> {
  if (!context) return {};
  const labels: Record<string, string> = {};
  if (context.release !== null) labels.release = String(context.release);
  if (context.rollout) {
    labels.rollout = String(context.rollout.id);
    labels.rollout_strategy = context.rollout.strategy;
    if (context.rollout.fromRelease !== null) labels.stable_release = String(context.rollout.fromRelease);
  }
  return labels;
}

/**
 * A canary to roll back because of this alert: a critical alert that is firing about an app whose canary is
 * shifting traffic, and whose condition began after the canary did. An alert that was already firing when the
 * deploy started (the deploy may be its fix) does not stop it.
 */
export function canaryToAbort(alert: AlertInstance, context: DeployContext | undefined): DeployContext["rollout"] {
  const rollout = context?.rollout;
  if (rollout?.strategy !== "canary" || rollout.state !== "shifting") return null;
  if (alert.state !== "firing" || alert.labels.severity !== "critical") return null;
  return alert.activeAt >= rollout.startedAt ? rollout : null;
}

/** What `deploymentsOf` reads from the releases capability. */
export interface DeploySources {
  manifest(): { environments: Record<string, unknown>; apps: Record<string, unknown> };
  activeRollouts(): Promise<
    {
      id: number;
      env: string;
      app: string;
      release: number;
      fromRelease: number | null;
      strategy: string;
      state: string;
      startedAt: number;
    }[]
  >;
  liveRelease(env: string, app: string): Promise<number | null>;
}

/** Every app × environment's deploy context: the rollout in progress (its release), else the live release. */
export async function deploymentsOf(sources: DeploySources): Promise<DeployContext[]> {
  const manifest = sources.manifest();
  const rollouts = await sources.activeRollouts();
  const out: DeployContext[] = [];
  for (const env of Object.keys(manifest.environments)) {
    for (const app of Object.keys(manifest.apps)) {
      const r = rollouts.filter((x) => x.env === env && x.app === app).at(-1);
      const rollout = r
        ? { id: r.id, strategy: r.strategy, state: r.state, fromRelease: r.fromRelease, startedAt: r.startedAt, release: r.release }
        : null;
      out.push({ env, app, release: r ? r.release : await sources.liveRelease(env, app), rollout });
    }
  }
  return out;
}
