import type { Command } from "commander";
import { ago, clientFor, printJson, printTable, progress, type GlobalOptions } from "../cli/cli-context.ts";
import { RampartError } from "../shared/errors.ts";
import { releaseFailed } from "./release.cli.ts";
import { printProgress, waitForRelease } from "./release-wait.ts";
import { ANALYSIS_COLUMNS, analysisRows, rolloutActions, type RolloutAction, type RolloutView } from "./rollout.view.ts";
import { overrideIfAsked, type OverrideOptions, withOverrideOptions } from "../readiness/readiness.cli.ts";

export function registerRolloutCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command("rollout <app> [action]")
    .description(`show the latest rollout (status), or control the one in progress: ${rolloutActions.join(", ")}`)
    .requiredOption("--env <env>", "environment")
    .option("--reason <text>", "why (recorded in the event)")
    .option("--json", "print JSON")
    .action(async (app: string, action: string | undefined, options: GlobalOptions & { env: string; reason?: string }) => {
      const opts = { ...globals(), ...options };
      const control = action === undefined || action === "status" ? null : parseAction(action);
      const client = clientFor(opts);
      const rollout =
        control === null ? await client.rollout(options.env, app) : await client.controlRollout(options.env, app, control, options.reason);
      if (opts.json) return printJson(rollout);
      printRollout(rollout);
    });

  withOverrideOptions(
    program
      .command("promote <app>")
      .description("deploy the artifact live in one environment to another, unchanged, with the target's config and release policy")
      .requiredOption("--from <env>", "environment whose live release is promoted")
      .requiredOption("--to <env>", "environment to deploy it to")
      .option("--force", "promote even when the source release is not live and healthy (recorded)")
      .option("--wait", "block until the release is live (exit 0) or failed / rolled back (exit 1)")
      .option("--json", "print the release as JSON"),
  ).action(
    async (app: string, options: GlobalOptions & OverrideOptions & { from: string; to: string; force?: boolean; wait?: boolean }) => {
      const opts = { ...globals(), ...options };
      const client = clientFor(opts);
      await overrideIfAsked(client, options.to, app, options);
      const release = await client.promote(app, { from: options.from, to: options.to, force: options.force ?? false });
      if (!opts.json) progress(`promoting ${app} from ${options.from} to ${options.to}: release ${release.number}`);
      const final = options.wait
        ? await waitForRelease(client, release, 60 * 60_000, opts.json ? undefined : printProgress).catch((e: unknown) =>
            Promise.reject(releaseFailed(e, release)),
          )
        : release;
      if (opts.json) return printJson(final);
      process.stdout.write(
        options.wait
          ? `release ${final.number} of ${app} is live in ${options.to}\n`
          : `release ${release.number} of ${app} created in ${options.to}; rolling out (rampart rollout ${app} --env ${options.to})\n`,
      );
    },
  );
}

function parseAction(value: string): RolloutAction {
  const action = rolloutActions.find((a) => a === value);
  if (!action) throw new RampartError("invalid_option", `"${value}" is not one of status, ${rolloutActions.join(", ")}`);
  return action;
}

function printRollout(r: RolloutView): void {
  const split =
    r.canaryPercent !== null ? ` · ${r.canaryPercent}% on release ${r.release}, ${100 - r.canaryPercent}% on ${r.fromRelease}` : "";
  const steps = r.steps.length > 0 ? ` · step ${r.step}/${r.steps.length} [${r.steps.join(" → ")}]` : r.step ? ` · step ${r.step}` : "";
  process.stdout.write(
    `release ${r.release} (${r.strategy}${r.fromRelease !== null ? ` replacing ${r.fromRelease}` : ""}): ${r.state}${r.paused ? " (paused)" : ""}${steps}${split}\n`,
  );
  process.stdout.write(
    `started ${ago(r.startedAt)}, updated ${ago(r.updatedAt)}${r.outcome ? ` · outcome: ${r.outcome}` : ""}${r.promotedBy ? ` · promoted by ${r.promotedBy}` : ""}${r.abortedBy ? ` · aborted by ${r.abortedBy}` : ""}\n`,
  );
  if (r.message) process.stdout.write(`${r.message}\n`);
  if (r.verdict) {
    process.stdout.write(`\nanalysis: ${String(r.verdict.decision)} — ${String(r.verdict.reason)}\n`);
    const rows = analysisRows(r.verdict);
    if (rows.length > 0) printTable(ANALYSIS_COLUMNS, rows);
  }
}
