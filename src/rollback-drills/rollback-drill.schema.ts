import { z } from "zod";
import { expected, positiveDuration, text, wholeNumber } from "../config/fields.schema.ts";
import type { PathIssue } from "../config/manifest-error.ts";

/** rampart.yaml `drills:` — rollback drills on a schedule, run by the control plane (docs/drills.md). */
export const drillsFileSchema = z.strictObject(
  {
    rollback: z
      .strictObject(
        {
          every: positiveDuration,
          env: text("an environment name, e.g. staging"),
          apps: z.array(text("an app name"), { error: expected("a list of app names, e.g. [web]") }).optional(),
          rate: wholeNumber(1, 1000).optional(),
        },
        { error: expected("a mapping such as { every: 7d, env: staging }") },
      )
      .optional(),
  },
  { error: expected("a mapping such as { rollback: { every: 7d, env: staging } }") },
);
export type DrillsFile = z.output<typeof drillsFileSchema>;

export interface DrillSchedule {
  everyMs: number;
  env: string;
  /** null: every app of the manifest. */
  apps: string[] | null;
  rate: number;
}

export const DEFAULT_DRILL_RATE = 20;

export function resolveDrillSchedule(file: DrillsFile | undefined): DrillSchedule | undefined {
  const r = file?.rollback;
  if (!r) return undefined;
  return { everyMs: r.every, env: r.env, apps: r.apps ?? null, rate: r.rate ?? DEFAULT_DRILL_RATE };
}

/** The schedule names a declared environment and declared apps. */
export function checkDrillTargets(raw: Record<string, unknown>): PathIssue[] {
  const drills = objectOf(raw.drills);
  const rollback = objectOf(drills?.rollback);
  if (!rollback) return [];
  const envs = Object.keys(objectOf(raw.environments) ?? {});
  const apps = Object.keys(objectOf(raw.apps) ?? {});
  const issues: PathIssue[] = [];
  if (typeof rollback.env === "string" && !envs.includes(rollback.env))
    issues.push({
      path: ["drills", "rollback", "env"],
      message: `environment "${rollback.env}" is not declared; declared: ${envs.join(", ")}`,
    });
  if (Array.isArray(rollback.apps))
    rollback.apps.forEach((app, i) => {
      if (typeof app === "string" && !apps.includes(app))
        issues.push({ path: ["drills", "rollback", "apps", i], message: `app "${app}" is not declared; declared: ${apps.join(", ")}` });
    });
  return issues;
}

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : undefined;
}
