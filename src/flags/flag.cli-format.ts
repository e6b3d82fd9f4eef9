import { ago, printTable } from "../cli/cli-context.ts";
import { formatDuration } from "../config/units.ts";
import type { ChangeResult, FlagRolloutView, FlagView } from "./flag.view.ts";

export function printFlag(flag: FlagView): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`${flag.key} (${flag.type}, ${flag.kind})${flag.description ? `: ${flag.description}` : ""}`);
  out(
    `variations: ${flag.variations.map((v) => `${v.key}=${JSON.stringify(v.value)}`).join(", ")} · off: ${flag.offVariation} · created ${ago(flag.createdAt)} by ${flag.createdBy}`,
  );
  for (const e of flag.environments) {
    out("");
    out(
      `${e.env}${e.protected ? " (protected)" : ""}: ${e.serving}${e.updatedBy ? ` · changed ${ago(e.updatedAt)} by ${e.updatedBy}` : ""}`,
    );
    if (e.prerequisites.length > 0) out(`  prerequisites: ${JSON.stringify(e.prerequisites)}`);
    for (const rule of e.rules) out(`  rule ${JSON.stringify(rule)}`);
    if (e.stale.stale) out(`  stale: ${e.stale.reasons.join("; ")}`);
    out(`  evaluations reported: ${e.stale.evaluations}${e.stale.lastEvaluatedAt ? `, last ${ago(e.stale.lastEvaluatedAt)}` : ""}`);
    if (e.rollout) printRollout(e.rollout);
  }
}

function printRollout(r: FlagRolloutView): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    `  guarded rollout ${r.id}: ${r.state} · step ${r.step}/${r.steps.length} [${r.steps.join(" → ")}]% · ${r.percentage}% ${r.variation} vs ${r.outVariation} by ${r.by} · every ${formatDuration(r.everyMs)} · guards ${r.guards.join(", ") || "errors=2x, p99=1.5x (defaults)"} · on fail ${r.onFail}`,
  );
  if (r.message) out(`  ${r.message}`);
  const checks = Array.isArray(r.verdict?.checks) ? (r.verdict.checks as Record<string, unknown>[]) : [];
  if (checks.length > 0) {
    printTable(
      ["  METRIC", "FEATURE", "CONTROL", "THRESHOLD", "STATISTIC", "BOUNDARY", "DECISION"],
      checks.map((c) => [`  ${String(c.metric)}`, ...[c.canary, c.stable, c.threshold, c.statistic, c.boundary, c.decision].map(show)]),
    );
  }
  const business = r.businessGuards ?? [];
  if (business.length > 0) {
    printTable(
      ["  BUSINESS GUARD", "FEATURE/USER", "CONTROL/USER", "USERS", "MARGIN", "INTERVAL", "HOLDS"],
      business.map((b) => {
        const m = (b.margin ?? {}) as Record<string, unknown>;
        const u = (b.users ?? {}) as Record<string, unknown>;
        return [
          `  ${String(b.guard)}`,
          show(b.treatment),
          show(b.control),
          `${show(u.treatment)}/${show(u.control)}`,
          show(m.estimate),
          `[${show(m.low)}, ${show(m.high)}]`,
          b.holds === false ? "NO" : "yes",
        ];
      }),
    );
  }
}

export function printResult(result: ChangeResult): void {
  process.stdout.write(`${result.message}\n`);
  const env = result.flag?.environments[0];
  if (result.applied && env) process.stdout.write(`${env.env} now serves: ${env.serving}\n`);
}

function show(value: unknown): string {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  if (value === null || value === undefined) return "-";
  return String(value);
}
