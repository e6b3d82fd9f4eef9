import { createHash } from "node:crypto";
import { canonicalJson } from "../access/canonical-json.ts";
import type { Manifest, ResolvedApp } from "../config/resolved-manifest.schema.ts";
import type { PlanChange, PlanSection } from "./plan.types.ts";

/** The running state a plan compares rampart.yaml with (docs/adr/0020-plan-apply-running-state.md). */
export interface RunningState {
  /** The manifest last applied: read at `rampart up`, by a deploy, or by `rampart apply`. */
  applied: Manifest;
  /** The config of the app's live release in the environment (immutable: only a release changes it), or null. */
  live(env: string, app: string): ResolvedApp | null;
}

export interface PlanInput extends RunningState {
  /** rampart.yaml as it is on disk now. */
  desired: Manifest;
  resolve(manifest: Manifest, app: string, env: string): ResolvedApp;
}

type Emit = (change: Omit<PlanChange, "needs" | "command" | "note"> & Partial<Pick<PlanChange, "needs" | "command" | "note">>) => void;

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

/** Adds one change per leaf that differs: `+` only in `after`, `-` only in `before`, `~` both but different. */
export function diffValue(
  before: unknown,
  after: unknown,
  path: string,
  section: PlanSection,
  emit: Emit,
  extra: Partial<PlanChange> = {},
): void {
  if (before === undefined && after === undefined) return;
  if (before === undefined) return emit({ op: "+", section, path, after, ...extra });
  if (after === undefined) return emit({ op: "-", section, path, before, ...extra });
  if (same(before, after)) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort())
      diffValue(before[key], after[key], `${path}.${key}`, section, emit, extra);
    return;
  }
  emit({ op: "~", section, path, before, after, ...extra });
}

/** Keys of a release's config compared with rampart.yaml; the secret versions are the release's own snapshot. */
function comparable(config: ResolvedApp): Record<string, unknown> {
  const { secretVersions: _, ...rest } = config;
  return rest;
}

function sectionOfAppKey(key: string): PlanSection {
  if (key === "instances") return "instances";
  if (key === "routes" || key === "hosts") return "routes";
  return "release";
}

/**
 * What the running platform would change to match rampart.yaml: environments, apps, each live release's config
 * (instances, routes, health, run, release policy… which only a new release changes), alerts, checks, access
 * policy and the platform's own settings. An app declared but never deployed in an environment is no change:
 * deploys are explicit.
 */
export function planChanges(input: PlanInput): PlanChange[] {
  const changes: PlanChange[] = [];
  const emit: Emit = (c) => changes.push({ needs: null, command: null, note: null, ...c });
  const { desired, applied } = input;

  for (const env of union(applied.environments, desired.environments)) {
    const before = applied.environments[env];
    const after = desired.environments[env];
    const note =
      after === undefined
        ? `the edge stops listening on port ${before?.port}: its apps are no longer served there`
        : before === undefined
          ? `the edge listens on port ${after.port}; its apps serve once deployed there`
          : null;
    diffValue(before, after, `environments.${env}`, "environments", emit, { note });
  }

  for (const app of union(applied.apps, desired.apps)) {
    if (desired.apps[app] === undefined) {
      emit({
        op: "-",
        section: "apps",
        path: `apps.${app}`,
        note: "its requests stop being routed; its instances keep running until `rampart up --yes` stops them",
      });
      continue;
    }
    for (const env of Object.keys(desired.environments)) {
      const wanted = comparable(input.resolve(desired, app, env));
      const live = input.live(env, app);
      const command = `rampart deploy ${app} --env ${env}`;
      if (live === null) {
        if (applied.apps[app] === undefined) emit({ op: "+", section: "apps", path: `apps.${app}[${env}]`, needs: "release", command });
        continue;
      }
      const running = comparable(live);
      for (const key of [...new Set([...Object.keys(running), ...Object.keys(wanted)])].sort())
        diffValue(running[key], wanted[key], `apps.${app}[${env}].${key}`, sectionOfAppKey(key), emit, { needs: "release", command });
    }
    diffValue(applied.apps[app]?.alerts, desired.apps[app]?.alerts, `apps.${app}.alerts`, "alerts", emit);
  }

  diffValue(applied.alerts, desired.alerts, "alerts", "alerts", emit);
  diffValue(applied.checks, desired.checks, "checks", "checks", emit);
  diffValue(applied.access, desired.access, "access", "access", emit);
  diffValue(applied.oidc, desired.oidc, "access.oidc", "access", emit);
  diffValue(applied.oncall, desired.oncall, "oncall", "platform", emit);
  diffValue(applied.backups, desired.backups, "backups", "platform", emit);
  diffValue(applied.drills, desired.drills, "drills", "platform", emit);
  diffValue(applied.api, desired.api, "api", "platform", emit, {
    needs: "restart",
    command: "restart rampart up (rampart service restarts it)",
  });
  diffValue(applied.name, desired.name, "name", "platform", emit);
  return changes;
}

/** The same changes always give the same digest (what `apply --digest` checks). */
export function planDigest(changes: PlanChange[]): string {
  return `sha256:${createHash("sha256").update(canonicalJson(changes)).digest("hex").slice(0, 32)}`;
}

function union(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])];
}
