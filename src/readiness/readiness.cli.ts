import type { Command } from "commander";
import { clientFor, printJson, type GlobalOptions } from "../cli/cli-context.ts";
import { ApiError, type ApiClient } from "../client/api-client.ts";
import { RampartError } from "../shared/errors.ts";
import type { ReadinessReport } from "./readiness.types.ts";

/** Exit status when a required check fails (1 stays "the command failed"), so CI can gate on it. */
export const EXIT_NOT_READY = 4;

const MARK = { pass: "✓", fail: "✗", unavailable: "?" } as const;

export function registerReadinessCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command("readiness <app>")
    .description("the app's readiness scorecard in an environment, computed from recorded data; exits 4 when a required check fails")
    .requiredOption("--env <env>", "the environment, e.g. production")
    .option("--json", "print JSON")
    .action(async (app: string, options: GlobalOptions & { env: string }) => {
      const opts = { ...globals(), ...options };
      const report = await clientFor(opts).readiness(options.env, app);
      if (!report.ready) process.exitCode = EXIT_NOT_READY;
      if (opts.json) return printJson(report);
      process.stdout.write(render(report));
    });
}

export function render(report: ReadinessReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length));
  const head = `readiness of ${report.app} in ${report.env}${report.protected ? ` (protected${report.gated ? "; its first deploy waits for the required checks" : "; already deployed, later deploys are not gated"})` : ""}`;
  const lines = report.checks.flatMap((c) => [
    `${MARK[c.status]} ${c.name.padEnd(width)}  ${c.required ? "required" : "advice  "}  ${c.detail}`,
    ...(c.fix ? [`  ${" ".repeat(width)}            fix: ${c.fix}`] : []),
  ]);
  const failing = report.checks.filter((c) => c.required && c.status !== "pass").map((c) => c.name);
  const verdict = report.ready
    ? "ready: every required check passes"
    : `not ready: ${failing.length} required check(s) do not pass (${failing.join(", ")})`;
  return `${[head, ...lines, verdict].join("\n")}\n`;
}

export interface OverrideOptions {
  overrideReadiness?: boolean;
  reason?: string;
}

/** Adds --override-readiness and --reason to a command that deploys (deploy, promote). */
export function withOverrideOptions(command: Command): Command {
  return command
    .option(
      "--override-readiness",
      "let this first deploy to a protected environment through with failing readiness checks (permission readiness.override, audited)",
    )
    .option("--reason <text>", "why (required with --override-readiness; recorded with your name)");
}

/**
 * Records the override before the deploy (it needs its own permission, so it is its own request). A deploy that is
 * not gated (not protected, or not the first) has nothing to override: said, and the deploy goes on.
 */
export async function overrideIfAsked(client: ApiClient, env: string, app: string, options: OverrideOptions): Promise<void> {
  if (!options.overrideReadiness) {
    if (options.reason !== undefined)
      throw new RampartError("invalid_option", "--reason goes with --override-readiness", {
        hint: `rampart deploy ${app} --env ${env} --override-readiness --reason "why"`,
      });
    return;
  }
  if (!options.reason?.trim())
    throw new RampartError("invalid_option", "--override-readiness needs --reason TEXT: the override is recorded with who and why", {
      hint: `rampart deploy ${app} --env ${env} --override-readiness --reason "launch agreed with on-call, load test tomorrow"`,
    });
  try {
    const given = await client.overrideReadiness(env, app, options.reason);
    // Always said (on stderr, so --json stays one document): an override is not progress, it is a decision on record.
    process.stderr.write(
      `readiness gate overridden for ${app}'s first deploy to ${env} by ${given.actor} (recorded)${given.failing.length > 0 ? `; failing: ${given.failing.join(", ")}` : ""}\n`,
    );
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== "readiness_not_gated") throw error;
    process.stderr.write(`note: ${error.message}\n`);
  }
}
