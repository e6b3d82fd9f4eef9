import type { Command } from "commander";
import { clientFor, printJson, printTable, type GlobalOptions } from "../cli/cli-context.ts";
import { RampartError } from "../shared/errors.ts";
import type { ExperimentResults } from "./flag-experiment.view.ts";

type ResultsOptions = GlobalOptions & {
  env?: string;
  metric?: string;
  control?: string;
  split?: string;
  mde?: string;
  retention?: string;
  json?: boolean;
};

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const num = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "∞");
const interval = (low: number, high: number, f: (x: number) => string) => `[${f(low)}, ${f(high)}]`;

/** `rampart flags results FLAG --env ENV`: per variation and day, then the decision against control. */
export function registerFlagResultsCommand(flags: Command, globals: () => GlobalOptions): void {
  flags
    .command("results <key>")
    .description("experiment results: conversion, events and value per user by variation and day, always-valid decision")
    .option("--env <env>", "environment (required)")
    .option("--metric <metric>", "business event, e.g. purchase (default: the one with most events)")
    .option("--control <variation>", "variation compared against (default: the flag's off variation)")
    .option("--split <v=w,…>", "configured split for the sample-ratio check (default: the current rollout)")
    .option("--mde <fraction>", "relative effect the sample still needed is sized for (default 0.05)")
    .option("--retention <days>", "N of 'returned after N days', comma-separated (default 1,7)")
    .option("--json", "print JSON")
    .action(async (key: string, options: ResultsOptions) => {
      const o = { ...globals(), ...options };
      if (!o.env)
        throw new RampartError("invalid_option", "--env is required: results are per environment", {
          hint: `rampart flags results ${key} --env production`,
        });
      const mde = o.mde === undefined ? undefined : Number(o.mde);
      if (mde !== undefined && !(mde > 0))
        throw new RampartError("invalid_option", `--mde ${o.mde}: expected a positive fraction, e.g. 0.05 for 5%`);
      const results = await clientFor(o).flagResults(key, {
        env: o.env,
        metric: o.metric,
        control: o.control,
        split: o.split,
        mde,
        retention: o.retention,
      });
      if (o.json) return printJson(results);
      printResults(results);
    });
}

/** `rampart flags report FLAG --env ENV`: the experiment's report in Markdown, as the weekly report writes it. */
export function registerFlagReportCommand(flags: Command, globals: () => GlobalOptions): void {
  flags
    .command("report <key>")
    .description("the experiment's report in Markdown: exposure, metrics with intervals, decision so far, the plan's next step")
    .option("--env <env>", "environment (required)")
    .option("--mde <fraction>", "relative effect the sample still needed is sized for (default 0.05)")
    .option("--json", "print JSON (the Markdown and the results behind it)")
    .action(async (key: string, options: GlobalOptions & { env?: string; mde?: string; json?: boolean }) => {
      const o = { ...globals(), ...options };
      if (!o.env)
        throw new RampartError("invalid_option", "--env is required: reports are per environment", {
          hint: `rampart flags report ${key} --env production`,
        });
      const mde = o.mde === undefined ? undefined : Number(o.mde);
      if (mde !== undefined && !(mde > 0))
        throw new RampartError("invalid_option", `--mde ${o.mde}: expected a positive fraction, e.g. 0.05 for 5%`);
      const report = await clientFor(o).flagReport(key, { env: o.env, mde });
      if (o.json) return printJson(report);
      process.stdout.write(report.markdown);
    });
}

export function printResults(r: ExperimentResults): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (r.days.length === 0) {
    out(`no exposures of ${r.flag} in ${r.env} yet: SDKs report which user got which variation when they evaluate it`);
    return;
  }
  out(
    `${r.flag} in ${r.env}: metric ${r.metric ?? "(no events yet)"}, control ${r.control}, α ${r.alpha}, attribution window ${r.attributionWindowDays} days`,
  );
  out("cumulative per day; intervals are always-valid (safe to look every day)");
  printTable(
    ["DAY", "VARIATION", "EXPOSED", "CONVERSION", "INTERVAL", "EVENTS/USER", "VALUE/USER", "INTERVAL", "SD", "DECISION"],
    r.days.flatMap((d) =>
      d.variations.map((v) => [
        d.day,
        v.variation,
        String(v.exposed),
        pct(v.conversion.estimate),
        interval(v.conversion.low, v.conversion.high, pct),
        num(v.eventsPerUser.estimate),
        num(v.valuePerUser.estimate),
        interval(v.valuePerUser.low, v.valuePerUser.high, num),
        num(Math.sqrt(v.valuePerUser.variance)),
        v.decision ?? "(control)",
      ]),
    ),
  );
  for (const c of r.comparisons) {
    out(`\n${c.variation} against ${r.control}:`);
    for (const m of [c.conversion, c.eventsPerUser, c.valuePerUser]) {
      const lift = m.relativeLift === null ? "-" : `${m.relativeLift >= 0 ? "+" : ""}${(m.relativeLift * 100).toFixed(1)}%`;
      const mdeNow = m.minimumDetectableEffect === null ? "-" : `${(m.minimumDetectableEffect * 100).toFixed(1)}%`;
      const needed = m.sampleNeeded === null ? "unknown" : m.sampleNeeded === 0 ? "enough" : `${m.sampleNeeded} more users per variation`;
      out(
        `  ${m.metric.padEnd(10)} ${m.decision.padEnd(16)} lift ${lift}, difference ${num(m.difference.estimate)} ${interval(m.difference.low, m.difference.high, num)}; detectable now ${mdeNow}; for ${(r.targetEffect * 100).toFixed(0)}%: ${needed}`,
      );
    }
  }
  printRetention(r, out);
  const s = r.sampleRatio;
  if (!s) out("\nsample ratio: not checked (the flag serves no percentage rollout; give --split v=w,…)");
  else {
    const shares = Object.keys(s.expected)
      .map((k) => `${k} ${pct(s.observed[k] ?? 0)} (expected ${pct(s.expected[k] ?? 0)})`)
      .join(", ");
    out(
      `\nsample ratio ${s.mismatch ? "MISMATCH: the experiment is broken (assignment or exposure logging), do not trust its results" : "ok"}: ${shares}; ${s.source}`,
    );
  }
}

function printRetention(r: ExperimentResults, out: (line: string) => void): void {
  const ret = r.retention;
  if (ret.variations.length === 0) return;
  out(`\nretention: exposed users seen again (an evaluation or any event) on a day at least N days after their first exposure`);
  printTable(
    ["VARIATION", "N", "ELIGIBLE", "RETURNED", "RATE", "INTERVAL", "DECISION"],
    ret.variations.flatMap((v) =>
      v.byDays.map((b) => [
        v.variation,
        `${b.afterDays}d`,
        String(b.eligible),
        String(b.returned),
        b.eligible > 0 ? pct(b.rate.estimate) : "-",
        b.eligible > 0 ? interval(b.rate.low, b.rate.high, pct) : "-",
        b.decision ?? "(control)",
      ]),
    ),
  );
  out("\nretention per first-exposure day (users, then returned after each N; - until the cohort's day + N is over)");
  printTable(
    ["COHORT", "VARIATION", "USERS", ...ret.afterDays.map((n) => `${n}D`)],
    ret.cohorts.flatMap((c) =>
      c.variations.map((v) => [
        c.day,
        v.variation,
        String(v.users),
        ...v.returned.map((x) => (x === null ? "-" : `${x} (${pct(v.users > 0 ? x / v.users : 0)})`)),
      ]),
    ),
  );
}
