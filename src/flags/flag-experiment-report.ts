import { formatDuration } from "../config/units.ts";
import type { FlagRolloutRecord } from "./flag-change.types.ts";
import type { ExperimentResults } from "./flag-experiment.view.ts";

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const num = (x: number | null) => (x === null ? "?" : Number.isFinite(x) ? x.toFixed(2) : "∞");
const signed = (x: number | null) => (x === null ? "-" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * An experiment's report in Markdown: exposure and the sample-ratio check, each metric per variation with its
 * always-valid interval, the decision so far against control with what it can detect and still needs, retention,
 * and the rollout plan's next step. `byMetric` holds one results per tracked event (the first gives exposure).
 */
export function renderReport(byMetric: readonly ExperimentResults[], rollout: FlagRolloutRecord | undefined, now: number): string {
  const first = byMetric[0];
  if (!first) return "";
  const lines: string[] = [];
  const out = (line = "") => lines.push(line);
  out(`# Experiment report: ${first.flag} in ${first.env}`);
  out();
  out(
    `Generated ${iso(now)}. Control: \`${first.control}\`. α ${first.alpha}; every interval and decision is always valid, so looking every day does not inflate false positives. Events count within ${first.attributionWindowDays} days of a user's first exposure.`,
  );
  const last = first.days.at(-1);
  out();
  out("## Exposure");
  out();
  if (!last) out("No exposures yet.");
  else {
    const total = last.variations.reduce((s, v) => s + v.exposed, 0);
    out("| variation | exposed users | share |");
    out("|---|---:|---:|");
    for (const v of last.variations) out(`| ${v.variation} | ${v.exposed} | ${pct(total > 0 ? v.exposed / total : 0)} |`);
    const s = first.sampleRatio;
    out();
    out(
      s === null
        ? "Sample ratio: not checked (the flag serves no percentage rollout now)."
        : s.mismatch
          ? `**Sample ratio MISMATCH**: the observed split differs from the configured one (${s.source}); the experiment is broken (assignment or exposure logging), do not trust its results.`
          : `Sample ratio ok (${s.source}).`,
    );
  }
  for (const r of byMetric) metricSection(r, out);
  retentionSection(first, out);
  out();
  out("## Rollout plan");
  out();
  out(planLine(first.flag, first.env, rollout, now));
  return `${lines.join("\n")}\n`;
}

function metricSection(r: ExperimentResults, out: (line?: string) => void): void {
  const last = r.days.at(-1);
  if (!last || r.metric === null) return;
  out();
  out(`## Metric \`${r.metric}\``);
  out();
  out("| variation | conversion | interval | events/user | value/user | interval |");
  out("|---|---:|---|---:|---:|---|");
  for (const v of last.variations)
    out(
      `| ${v.variation} | ${pct(v.conversion.estimate)} | [${pct(v.conversion.low)}, ${pct(v.conversion.high)}] | ${num(v.eventsPerUser.estimate)} | ${num(v.valuePerUser.estimate)} | [${num(v.valuePerUser.low)}, ${num(v.valuePerUser.high)}] |`,
    );
  out();
  out("Decision so far:");
  out();
  for (const c of r.comparisons)
    for (const m of [c.conversion, c.eventsPerUser, c.valuePerUser]) {
      const needed =
        m.sampleNeeded === null
          ? "sample needed unknown"
          : m.sampleNeeded === 0
            ? `enough users for ${pct(r.targetEffect)}`
            : `${m.sampleNeeded} more users per variation for ${pct(r.targetEffect)}`;
      const mde = m.minimumDetectableEffect === null ? "-" : pct(m.minimumDetectableEffect);
      out(
        `- ${c.variation} vs ${r.control}, ${m.metric}: **${m.decision}**, lift ${signed(m.relativeLift)}, difference ${num(m.difference.estimate)} [${num(m.difference.low)}, ${num(m.difference.high)}]; detectable now ${mde}; ${needed}`,
      );
    }
}

function retentionSection(r: ExperimentResults, out: (line?: string) => void): void {
  if (r.retention.variations.length === 0) return;
  out();
  out("## Retention");
  out();
  out("Exposed users seen again (an evaluation or any event) on a day at least N days after their first exposure.");
  out();
  out(`| variation | ${r.retention.afterDays.map((n) => `${n}d | interval`).join(" | ")} | decision |`);
  out(`|---|${r.retention.afterDays.map(() => "---:|---").join("|")}|---|`);
  for (const v of r.retention.variations) {
    const cells = v.byDays.map((b) =>
      b.eligible > 0 ? `${pct(b.rate.estimate)} of ${b.eligible} | [${pct(b.rate.low)}, ${pct(b.rate.high)}]` : "- | -",
    );
    const decisions = v.byDays.map((b) => `${b.afterDays}d ${b.decision ?? "control"}`).join(", ");
    out(`| ${v.variation} | ${cells.join(" | ")} | ${decisions} |`);
  }
}

/** What the plan does next, in one line, with the command to act on it. */
export function planLine(flag: string, env: string, r: FlagRolloutRecord | undefined, now: number): string {
  if (!r) return `No guarded rollout plan. Start one: \`rampart flags rollout ${flag} --env ${env} --plan 5,25,50,100 --every 1d\`.`;
  const { plan } = r;
  const percent = plan.steps[r.step] ?? 100;
  const next = plan.steps[r.step + 1];
  const guards = plan.guardText.length > 0 ? plan.guardText.join(", ") : "errors=2x, p99=1.5x (defaults)";
  const latest = r.data.message ? ` Latest: ${r.data.message}.` : "";
  if (r.state === "running") {
    const due = r.stepStartedAt + plan.everyMs;
    const when = due > now ? `from ${iso(due)} (in ${formatDuration(due - now)})` : "as soon as its guards pass";
    return `Running, step ${r.step + 1} of ${plan.steps.length} at ${percent}% \`${plan.variation}\`. Next: ${next === undefined ? "complete" : `${next}%`} ${when}, only while every guard holds (${guards}).${latest}`;
  }
  if (r.state === "paused")
    return `Paused at ${percent}%.${latest} Next: \`rampart flags rollout ${flag} --env ${env} resume\` once the cause is understood, or \`stop\`.`;
  return `Plan ${r.id} ${r.state} at ${percent}%.${latest} No next step.`;
}
