import { z } from "zod";
import { expected, text, wholeNumber } from "../config/fields.schema.ts";
import { showValue } from "../config/units.ts";
import type { ManifestFile } from "../config/manifest.schema.ts";
import type { PathIssue } from "../config/manifest-error.ts";
import {
  type AppReadinessFacts,
  DEFAULT_MAX_AGE_DAYS,
  DEFAULT_PROTECTED_REQUIRE,
  type ReadinessManifest,
  type ReadinessSettings,
  readinessCheckNames,
} from "./readiness.types.ts";

const checkName = z.enum(readinessCheckNames, { error: expected(`a readiness check: ${readinessCheckNames.join(", ")}`) });

/** `environments.<env>.readiness`: which checks gate the first deploy there, and how fresh evidence must be. */
export const readinessFileSchema = z.strictObject(
  {
    require: z.array(checkName, { error: expected("a list of readiness checks, e.g. [health_check, no_secrets, load_test]") }).optional(),
    max_age_days: wholeNumber(1, 3650).optional(),
    load_rate: z
      .number({ error: expected("a rate in requests per second, e.g. 200") })
      .positive({ error: expected("a rate above 0") })
      .optional(),
    staging: text("the environment name where releases are tried first, e.g. staging").optional(),
  },
  { error: expected("a mapping such as { require: [health_check, no_secrets, load_test], max_age_days: 30 }") },
);
export type ReadinessFile = z.output<typeof readinessFileSchema>;

/** `apps.<app>.owner`: who answers for the app (a team or a person). */
export const ownerField = text("a team or person, e.g. team-payments");

/** `apps.<app>.runbook`: where on-call reads what to do. */
export const runbookField = z
  .string({ error: expected("a runbook URL, e.g. https://wiki.example.com/runbooks/web") })
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    error: (issue) => `expected an http(s) runbook URL, e.g. https://wiki.example.com/runbooks/web, got ${showValue(issue.input)}`,
  });

/** Resolves the readiness parts of rampart.yaml: defaults per environment, owner/runbook/health facts per app. */
export function resolveReadiness(file: ManifestFile): ReadinessManifest {
  const envNames = Object.keys(file.environments);
  const environments: Record<string, ReadinessSettings> = {};
  for (const [name, env] of Object.entries(file.environments)) {
    const r = env.readiness;
    environments[name] = {
      require: [...(r?.require ?? (env.protected ? DEFAULT_PROTECTED_REQUIRE : []))],
      maxAgeDays: r?.max_age_days ?? DEFAULT_MAX_AGE_DAYS,
      loadRate: r?.load_rate ?? null,
      staging: r?.staging ?? defaultStaging(name, envNames, (n) => file.environments[n]?.protected ?? false),
    };
  }
  const apps: Record<string, AppReadinessFacts> = {};
  for (const [name, app] of Object.entries(file.apps)) {
    apps[name] = {
      owner: app.owner ?? null,
      runbook: app.runbook ?? null,
      healthDeclaredIn: envNames.filter((env) => (app.environments?.[env]?.health?.path ?? app.health?.path) !== undefined),
    };
  }
  return { environments, apps };
}

/** `staging` when there is one, else the first environment that is not protected; never the environment itself. */
function defaultStaging(env: string, names: string[], isProtected: (name: string) => boolean): string | null {
  if (env !== "staging" && names.includes("staging")) return "staging";
  return names.find((n) => n !== env && !isProtected(n)) ?? null;
}

/** `environments.<env>.readiness.staging` names another declared environment (a cross-key check, src/config/manifest.checks.ts). */
export function checkReadinessStaging(raw: Record<string, unknown>): PathIssue[] {
  const environments = mappingOf(raw.environments);
  const names = Object.keys(environments);
  const issues: PathIssue[] = [];
  for (const env of names) {
    const staging = mappingOf(mappingOf(environments[env]).readiness).staging;
    if (typeof staging !== "string" || (names.includes(staging) && staging !== env)) continue;
    issues.push({
      path: ["environments", env, "readiness", "staging"],
      message:
        staging === env
          ? `${showValue(staging)} is this environment itself; name where releases are tried first, e.g. staging`
          : `${showValue(staging)} is not a declared environment; declared: ${names.join(", ")}`,
    });
  }
  return issues;
}

/** The raw document is not validated yet where cross-key checks read it: anything but a mapping reads as empty. */
function mappingOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
