import type { ScanResult } from "./artifact-scan.ts";
import type { AppReadinessFacts, Finding, ReadinessCheck } from "./readiness.types.ts";

/**
 * One function per readiness check: facts in, a verdict out with why and the fix. Pure, so each is tested with
 * plain values; readiness.service.ts gathers the facts.
 */
export type Verdict = Omit<ReadinessCheck, "required">;

const DAY_MS = 86_400_000;
const pass = (name: Verdict["name"], detail: string): Verdict => ({ name, status: "pass", detail, fix: null });
const fail = (name: Verdict["name"], detail: string, fix: string): Verdict => ({ name, status: "fail", detail, fix });
const unavailable = (name: Verdict["name"], detail: string, fix: string | null = null): Verdict => ({
  name,
  status: "unavailable",
  detail,
  fix,
});

export interface Where {
  env: string;
  app: string;
}

export function healthCheck(w: Where, facts: AppReadinessFacts, health: { path: string; intervalMs: number }): Verdict {
  if (facts.healthDeclaredIn.includes(w.env))
    return pass("health_check", `GET ${health.path} every ${health.intervalMs / 1000}s decides when an instance takes traffic`);
  return fail(
    "health_check",
    `apps.${w.app} declares no health path in rampart.yaml: an instance counts as healthy as soon as ${health.path} answers, whatever the app's state`,
    `add health: { path: /healthz } to apps.${w.app} in rampart.yaml (an endpoint that checks what the app needs), then: rampart readiness ${w.app} --env ${w.env}`,
  );
}

export function noSecrets(
  w: Where,
  scan: { digest: string; from: string; result: ScanResult | null } | null,
): Verdict & { findings?: Finding[] } {
  if (scan === null)
    return unavailable(
      "no_secrets",
      `no artifact of ${w.app} to scan yet (none released in ${w.env} or its staging environment)`,
      `deploy it to staging first: rampart deploy ${w.app} --env staging`,
    );
  if (scan.result === null)
    return unavailable(
      "no_secrets",
      `artifact ${scan.digest.slice(0, 19)}… (${scan.from}) is no longer on disk (only the newest artifacts are kept)`,
      `deploy it again to have its artifact scanned: rampart deploy ${w.app} --env staging`,
    );
  const { findings, scannedFiles, skippedFiles } = scan.result;
  const what = `artifact ${scan.digest.slice(0, 19)}… (${scan.from}): ${scannedFiles} file(s) scanned${skippedFiles > 0 ? `, ${skippedFiles} skipped (binary or over 2 MiB)` : ""}`;
  if (findings.length === 0) return pass("no_secrets", `no token, key or secret value found in ${what}`);
  const shown = findings.slice(0, 10).map((f) => `${f.file}:${f.line} (${f.kind})`);
  return {
    ...fail(
      "no_secrets",
      `${findings.length} possible secret(s) in ${what}: ${shown.join(", ")}${findings.length > shown.length ? ", …" : ""}`,
      `remove them from the source and keep them as secrets (rampart secrets set ${w.app} NAME --env ${w.env} < FILE), rotate any that were real, then deploy again; a line that is not a secret can carry the comment rampart:allow-secret`,
    ),
    findings,
  };
}

export function owner(w: Where, facts: AppReadinessFacts): Verdict {
  return facts.owner
    ? pass("owner", `owned by ${facts.owner}`)
    : fail("owner", `apps.${w.app} names no owner`, `add owner: TEAM to apps.${w.app} in rampart.yaml`);
}

export function runbook(w: Where, facts: AppReadinessFacts): Verdict {
  return facts.runbook
    ? pass("runbook", `runbook at ${facts.runbook}`)
    : fail("runbook", `apps.${w.app} links no runbook for whoever is paged`, `add runbook: https://… to apps.${w.app} in rampart.yaml`);
}

export interface OnCallFacts {
  /** The escalation policy the app's critical alerts use. */
  policy: string;
  /** Declared policies, with their first step's target (`schedule:primary`, `user:alice`). */
  policies: Record<string, string[]>;
  /** Who is on call in each schedule now, and whether they have a channel. */
  onCall: Record<string, { user: string; reachable: boolean }>;
  /** People with a channel in oncall.people. */
  reachablePeople: string[];
}

export function alertsRouted(w: Where, f: OnCallFacts): Verdict {
  const fix = `declare oncall: { people, schedules, escalation: { ${f.policy}: [{ notify: schedule:NAME, wait: 5m }] } } in rampart.yaml (docs/oncall.md), then check: rampart oncall who`;
  const steps = f.policies[f.policy];
  if (steps === undefined)
    return fail(
      "alerts_routed",
      `${w.app}'s critical alerts use escalation policy ${f.policy}, which rampart.yaml does not declare: they page no one`,
      fix,
    );
  const reached = steps.flatMap((target) => {
    const [kind, name = ""] = target.split(":");
    if (kind === "user") return f.reachablePeople.includes(name) ? [`${name}`] : [];
    const on = f.onCall[name];
    return on?.reachable ? [`${on.user} (schedule ${name})`] : [];
  });
  if (reached.length === 0)
    return fail(
      "alerts_routed",
      `escalation policy ${f.policy} (${steps.join(" → ")}) reaches no one with a contact channel right now`,
      `give the people on call a channel in rampart.yaml oncall.people (email or webhook), then check: rampart oncall who`,
    );
  return pass("alerts_routed", `critical alerts page ${reached.join(", then ")} through escalation policy ${f.policy}`);
}

export function checksGreen(w: Where, checksEnv: string | null, results: { name: string; ok: boolean }[]): Verdict {
  if (checksEnv === null)
    return unavailable(
      "checks_green",
      `${w.app} serves nowhere to check yet`,
      `deploy it to staging: rampart deploy ${w.app} --env staging`,
    );
  if (results.length === 0)
    return fail(
      "checks_green",
      `no synthetic check of ${w.app} has run in ${checksEnv} (checks run while the app serves; apps.${w.app}.checks may turn the defaults off)`,
      `rampart checks --app ${w.app} --env ${checksEnv}`,
    );
  const failing = results.filter((r) => !r.ok).map((r) => r.name);
  if (failing.length > 0)
    return fail(
      "checks_green",
      `${failing.length} of ${results.length} synthetic check(s) of ${w.app} failing in ${checksEnv}: ${failing.join(", ")}`,
      `see why: rampart checks --app ${w.app} --env ${checksEnv}`,
    );
  return pass("checks_green", `${results.length} synthetic check(s) of ${w.app} green in ${checksEnv}`);
}

export function releaseStrategy(w: Where, isProtected: boolean, strategy: string): Verdict {
  if (!isProtected) return pass("release_strategy", `${w.env} is not protected: any strategy (${strategy})`);
  if (strategy === "canary" || strategy === "blue-green")
    return pass("release_strategy", `${strategy}: a bad release is caught before it takes all of ${w.env}`);
  return fail(
    "release_strategy",
    `${w.app} rolls out with ${strategy} in protected ${w.env}: every user meets a bad release before anything judges it`,
    `set release: { strategy: canary } (or blue-green) in apps.${w.app} (or apps.${w.app}.environments.${w.env}) in rampart.yaml`,
  );
}

export interface Freshness {
  now: number;
  maxAgeDays: number;
}

export function loadTest(
  w: Where,
  staging: string | null,
  loadRate: number | null,
  fresh: Freshness,
  latest: { at: number; result: { passed: boolean; rate: number; achievedRps: number } } | null,
): Verdict {
  const rate = loadRate ?? 100;
  const fix = `rampart loadtest ${w.app} --env ${staging ?? "staging"} --rate ${rate} --duration 2m --threshold errors<1%`;
  if (staging === null)
    return unavailable(
      "load_test",
      `no staging environment for ${w.env} (set environments.${w.env}.readiness.staging in rampart.yaml)`,
      fix,
    );
  if (latest === null) return fail("load_test", `${w.app} has never been load tested in ${staging}`, fix);
  const age = ageOf(latest.at, fresh.now);
  if (fresh.now - latest.at > fresh.maxAgeDays * DAY_MS)
    return fail("load_test", `the last load test of ${w.app} in ${staging} is ${age} old (at most ${fresh.maxAgeDays} days)`, fix);
  if (!latest.result.passed)
    return fail(
      "load_test",
      `the last load test of ${w.app} in ${staging} (${age} ago, ${latest.result.rate}/s) failed its thresholds`,
      fix,
    );
  if (loadRate !== null && latest.result.rate < loadRate)
    return fail(
      "load_test",
      `the last load test of ${w.app} in ${staging} ran at ${latest.result.rate}/s, below the target ${loadRate}/s (environments.${w.env}.readiness.load_rate)`,
      fix,
    );
  return pass("load_test", `passed in ${staging} ${age} ago at ${latest.result.rate}/s (${latest.result.achievedRps}/s achieved)`);
}

export function rollbackDrill(
  w: Where,
  staging: string | null,
  fresh: Freshness,
  latest: { at: number; ok: boolean } | null | undefined,
): Verdict {
  const fix = `rampart drill rollback ${w.app} --env ${staging ?? "staging"}`;
  if (latest === undefined) return unavailable("rollback_drill", "rollback drills are not available on this platform", fix);
  if (staging === null)
    return unavailable("rollback_drill", `no staging environment for ${w.env} (set environments.${w.env}.readiness.staging)`, fix);
  if (latest === null) return fail("rollback_drill", `no rollback of ${w.app} has been drilled in ${staging}`, fix);
  const age = ageOf(latest.at, fresh.now);
  if (fresh.now - latest.at > fresh.maxAgeDays * DAY_MS)
    return fail(
      "rollback_drill",
      `the last rollback drill of ${w.app} in ${staging} is ${age} old (at most ${fresh.maxAgeDays} days)`,
      fix,
    );
  if (!latest.ok) return fail("rollback_drill", `the last rollback drill of ${w.app} in ${staging} (${age} ago) failed`, fix);
  return pass("rollback_drill", `rollback drilled in ${staging} ${age} ago`);
}

export function parity(w: Where, staging: string | null, drift: { unallowed: number; summary: string } | null | undefined): Verdict {
  const fix = `rampart parity ${staging ?? "staging"} ${w.env} --app ${w.app}`;
  if (drift === undefined) return unavailable("parity", "parity checks are not available on this platform", fix);
  if (staging === null) return unavailable("parity", `no staging environment to compare ${w.env} with`, fix);
  if (drift === null) return unavailable("parity", `no parity report of ${w.app} between ${staging} and ${w.env} yet`, fix);
  if (drift.unallowed > 0)
    return fail(
      "parity",
      `${drift.unallowed} difference(s) between ${staging} and ${w.env} not declared as allowed: ${drift.summary}`,
      `${fix}; align them, or declare the difference allowed in rampart.yaml (parity: { allow: [...] })`,
    );
  return pass("parity", `${w.env} matches ${staging} within its allowed differences${drift.summary ? ` (${drift.summary})` : ""}`);
}

function ageOf(at: number, now: number): string {
  const ms = Math.max(0, now - at);
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < DAY_MS) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / DAY_MS)} days`;
}
