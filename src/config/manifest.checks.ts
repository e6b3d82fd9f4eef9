import { checkAccessPolicy } from "../access/access-policy.schema.ts";
import { checkReadinessStaging } from "../readiness/readiness.schema.ts";
import { checkDrillTargets } from "../rollback-drills/rollback-drill.schema.ts";
import { APP_DEFAULTS } from "./manifest.defaults.ts";
import { didYouMean } from "./did-you-mean.ts";
import { hosts as hostsSchema, port as portSchema, routes as routesSchema } from "./fields.schema.ts";
import type { PathIssue } from "./manifest-error.ts";
import type { PathSegment } from "./yaml-locate.ts";

/**
 * Checks that span several keys: duplicate ports, overrides for undeclared environments,
 * overlapping routes. They read the raw document and validate each piece they use on its own,
 * so they still report while other parts of the file are broken.
 */

type Raw = Record<string, unknown>;

function asObject(value: unknown): Raw | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Raw) : undefined;
}

function entriesOf(value: unknown): [string, unknown][] {
  return Object.entries(asObject(value) ?? {});
}

export function checkPorts(raw: Raw): PathIssue[] {
  const owners = new Map<number, string>();
  const issues: PathIssue[] = [];
  for (const [env, value] of entriesOf(raw.environments)) {
    const parsed = portSchema.safeParse(asObject(value)?.port);
    if (!parsed.success) continue;
    const owner = owners.get(parsed.data);
    if (owner === undefined) owners.set(parsed.data, env);
    else issues.push({ path: ["environments", env, "port"], message: `port ${parsed.data} is also used by environment "${owner}"` });
  }
  return issues;
}

export function checkOverrideEnvironments(raw: Raw): PathIssue[] {
  const declared = entriesOf(raw.environments).map(([name]) => name);
  const issues: PathIssue[] = [];
  for (const [app, value] of entriesOf(raw.apps)) {
    for (const [env] of entriesOf(asObject(value)?.environments)) {
      if (declared.includes(env)) continue;
      const suggestion = didYouMean(env, declared);
      const hint = suggestion === undefined ? `declared: ${declared.join(", ") || "none"}` : `did you mean "${suggestion}"?`;
      issues.push({
        path: ["apps", app, "environments", env],
        message: `environment "${env}" is not declared under environments; ${hint}`,
        at: "key",
      });
    }
  }
  return issues;
}

type Claim = { app: string; prefix: string; hosts: string[] | null; path: PathSegment[] };

/** The routes one app claims in one environment, with where each was written. */
function claimsOf(app: string, base: Raw, env: string): Claim[] | undefined {
  const override = asObject(asObject(base.environments)?.[env]);
  const routesAt: PathSegment[] = override?.routes !== undefined ? ["apps", app, "environments", env, "routes"] : ["apps", app, "routes"];
  const rawRoutes = override?.routes ?? base.routes;
  const routes = rawRoutes === undefined ? { success: true as const, data: APP_DEFAULTS.routes } : routesSchema.safeParse(rawRoutes);
  const rawHosts = override?.hosts ?? base.hosts;
  const hosts = rawHosts === undefined ? { success: true as const, data: null } : hostsSchema.safeParse(rawHosts);
  if (!routes.success || !hosts.success) return undefined;
  return routes.data.map((prefix, i) => ({
    app,
    prefix,
    hosts: hosts.data,
    path: rawRoutes === undefined ? routesAt : [...routesAt, i],
  }));
}

function hostsOverlap(a: string[] | null, b: string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.some((host) => b.includes(host));
}

/** Two apps may share a prefix only on different hosts; "/api" next to "/" is fine (longest wins). */
export function checkRouteOverlaps(raw: Raw): PathIssue[] {
  const found = new Map<string, { claim: Claim; other: string; envs: string[] }>();
  for (const [env] of entriesOf(raw.environments)) {
    const claims: Claim[] = [];
    for (const [app, value] of entriesOf(raw.apps)) {
      const base = asObject(value);
      if (base !== undefined) claims.push(...(claimsOf(app, base, env) ?? []));
    }
    for (const [i, later] of claims.entries()) {
      const earlier = claims
        .slice(0, i)
        .find((c) => c.app !== later.app && c.prefix === later.prefix && hostsOverlap(c.hosts, later.hosts));
      if (earlier === undefined) continue;
      const key = `${later.path.join("\0")}\0${earlier.app}`;
      const entry = found.get(key) ?? { claim: later, other: earlier.app, envs: [] };
      entry.envs.push(env);
      found.set(key, entry);
    }
  }
  return [...found.values()].map(({ claim, other, envs }) => {
    const where = claim.hosts === null ? "" : ` on ${claim.hosts.join(", ")}`;
    const route = claim.path.at(-1) === "routes" ? `the default route "${claim.prefix}"` : `route "${claim.prefix}"`;
    return {
      path: claim.path,
      message: `${route}${where} is also claimed by app "${other}" in ${envs.join(", ")}; give one of them another prefix or hosts`,
    };
  });
}

export function crossChecks(raw: Raw): PathIssue[] {
  return [
    ...checkPorts(raw),
    ...checkOverrideEnvironments(raw),
    ...checkRouteOverlaps(raw),
    ...checkAccessPolicy(raw),
    ...checkReadinessStaging(raw),
    ...checkDrillTargets(raw),
  ];
}
