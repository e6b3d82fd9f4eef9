import { RampartError } from "../shared/errors.ts";
import type { Clock } from "../shared/clock.ts";
import { diffApp, diffEnvironmentLimits, diffFlags } from "./parity-diff.ts";
import { appSide, type ParitySources } from "./parity-sources.ts";
import { isAllowed } from "./parity.schema.ts";
import type { Drift, DriftDraft, ParityQuery, ParityReport, ParitySummary, Severity } from "./parity.types.ts";

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/**
 * Staging/production parity (12factor's dev/prod parity, made a report): what two environments run, side by side,
 * and every difference with its severity, minus what rampart.yaml declares intended (`parity.allow`). Reads only:
 * nothing is written, no event is recorded.
 */
export class ParityService {
  readonly #sources: ParitySources;
  readonly #clock: Clock;

  constructor(sources: ParitySources, clock: Clock) {
    this.#sources = sources;
    this.#clock = clock;
  }

  async compare(query: ParityQuery): Promise<ParityReport> {
    const { from, to } = query;
    const manifest = this.#sources.manifest();
    for (const env of [from, to])
      if (!Object.hasOwn(manifest.environments, env))
        throw new RampartError("unknown_environment", `environment "${env}" is not in ${manifest.path}`, {
          hint: `environments: ${Object.keys(manifest.environments).join(", ")}; e.g. rampart parity staging production`,
        });
    if (from === to)
      throw new RampartError("invalid_request", `parity compares two environments; both are ${from}`, {
        hint: "name two, e.g. rampart parity staging production",
        details: [{ field: "query.to", message: `must name another environment than from (${from})` }],
      });
    if (query.app !== undefined && !Object.hasOwn(manifest.apps, query.app))
      throw new RampartError("unknown_app", `app "${query.app}" is not in ${manifest.path}`, {
        hint: `apps: ${Object.keys(manifest.apps).join(", ")}`,
      });
    const names = query.app === undefined ? Object.keys(manifest.apps) : [query.app];
    const apps = await Promise.all(
      names.map(async (app) => {
        const [a, b] = await Promise.all([appSide(this.#sources, from, app), appSide(this.#sources, to, app)]);
        return { app, allow: manifest.apps[app]?.parity?.allow ?? [], from: a, to: b };
      }),
    );
    const projectAllow = manifest.parity?.allow ?? [];
    const flags = (await this.#sources.flags()).map((f) => {
      const side = (env: string) => {
        const state = f.environments.find((e) => e.env === env);
        return state ? { enabled: state.enabled, serving: state.serving } : null;
      };
      return { key: f.key, from: side(from), to: side(to) };
    });
    const [envA, envB] = [manifest.environments[from], manifest.environments[to]];
    const drifts = [
      ...apps.flatMap((a) => judge(a.app, diffApp(a.app, a.from, a.to), a.allow)),
      ...judge(null, diffFlags(from, to, flags), projectAllow),
      ...(envA && envB ? judge(null, diffEnvironmentLimits(from, to, envA.limits, envB.limits), projectAllow) : []),
    ].sort((x, y) => RANK[x.severity] - RANK[y.severity]);
    return { from, to, generatedAt: this.#clock.now(), apps, flags, drifts, summary: summarize(drifts) };
  }

  /**
   * For the readiness check: the unallowed critical drifts of one app between two environments (the ones that make
   * `rampart parity` exit non-zero) and a one-line summary; null when the app or either environment does not exist.
   */
  async drift(app: string, fromEnv: string, toEnv: string): Promise<{ unallowed: number; summary: string } | null> {
    const manifest = this.#sources.manifest();
    const exists = (env: string) => Object.hasOwn(manifest.environments, env);
    if (!exists(fromEnv) || !exists(toEnv) || fromEnv === toEnv || !Object.hasOwn(manifest.apps, app)) return null;
    const report = await this.compare({ from: fromEnv, to: toEnv, app });
    const blocking = report.drifts.filter((d) => d.severity === "critical" && !d.allowed);
    return {
      unallowed: blocking.length,
      summary:
        blocking.length === 0
          ? `${app}: no unallowed critical drift between ${fromEnv} and ${toEnv} (${report.summary.warning} warning(s), ${report.summary.allowed} allowed)`
          : `${app}: ${blocking.length} critical drift(s) between ${fromEnv} and ${toEnv}: ${blocking.map((d) => d.key).join(", ")} (rampart parity ${fromEnv} ${toEnv} --app ${app})`,
    };
  }
}

function judge(app: string | null, drafts: DriftDraft[], allow: readonly string[]): Drift[] {
  return drafts.map((d) => ({ app, category: d.key.split(".")[0] ?? d.key, ...d, allowed: isAllowed(d.key, allow) }));
}

export function summarize(drifts: readonly Drift[]): ParitySummary {
  const counted = drifts.filter((d) => !d.allowed);
  const count = (s: Severity) => counted.filter((d) => d.severity === s).length;
  return {
    critical: count("critical"),
    warning: count("warning"),
    info: count("info"),
    allowed: drifts.length - counted.length,
    unallowedCritical: count("critical"),
  };
}
