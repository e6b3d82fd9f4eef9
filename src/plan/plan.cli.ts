import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { clientFor, printJson, type GlobalOptions } from "../cli/cli-context.ts";
import { canAsk, confirm } from "../cli/confirm.ts";
import { RampartError } from "../shared/errors.ts";
import type { PlanChange } from "./plan.types.ts";

const COLORS: Record<PlanChange["op"], string> = { "+": "\x1b[32m", "-": "\x1b[31m", "~": "\x1b[33m" };
const RESET = "\x1b[0m";

/** A value on one line: short JSON, long ones cut. */
function show(value: unknown): string {
  const text = value === undefined ? "" : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function changeLine(c: PlanChange, color: boolean): string {
  const value = c.op === "~" ? `: ${show(c.before)} → ${show(c.after)}` : c.op === "+" && c.after !== undefined ? `: ${show(c.after)}` : "";
  const needs =
    c.needs === "release" ? `  (needs a release: ${c.command})` : c.needs === "restart" ? `  (needs a restart: ${c.command})` : "";
  const note = c.note ? `  (${c.note})` : "";
  const line = `${c.op} ${c.path}${value}${needs}${note}`;
  return color ? `${COLORS[c.op]}${line}${RESET}` : line;
}

export function planSummary(changes: PlanChange[]): string {
  if (changes.length === 0) return "no changes: the running platform matches rampart.yaml";
  const now = changes.filter((c) => c.needs === null).length;
  const release = changes.filter((c) => c.needs === "release").length;
  const restart = changes.filter((c) => c.needs === "restart").length;
  return `${changes.length} change(s): ${now} applied by rampart apply, ${release} need a release (rampart deploy), ${restart} need a restart`;
}

export function registerPlanCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command("plan")
    .description("show, as a diff, what the running platform would change to match rampart.yaml (changes needing a release marked)")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      const opts = { ...globals(), ...options };
      const plan = await clientFor(opts).plan();
      if (opts.json) return printJson(plan);
      const color = process.stdout.isTTY === true;
      process.stdout.write(
        [`plan for ${plan.manifest}:`, ...plan.changes.map((c) => changeLine(c, color)), planSummary(plan.changes), ""].join("\n"),
      );
    });

  program
    .command("apply")
    .description("carry out the plan's changes that need no release (recorded with who applied them); name those that need rampart deploy")
    .option("--yes", "apply without asking")
    .option("--json", "print JSON")
    .action(async (options: { yes?: boolean; json?: boolean }) => {
      const opts = { ...globals(), ...options };
      const client = clientFor(opts);
      const plan = await client.plan();
      const color = process.stderr.isTTY === true;
      if (!opts.json) process.stderr.write([...plan.changes.map((c) => changeLine(c, color)), planSummary(plan.changes), ""].join("\n"));
      if (plan.changes.some((c) => c.needs === null) && options.yes !== true) {
        if (!canAsk())
          throw new RampartError(
            "confirmation_required",
            "rampart apply would change the running platform; there is no terminal to ask on",
            {
              hint: "review rampart plan, then run rampart apply --yes",
            },
          );
        if (!(await confirm("Apply these changes?")))
          throw new RampartError("not_confirmed", "nothing was applied: not confirmed", {
            hint: "answer y, or pass --yes: rampart apply --yes",
          });
      }
      const result = await client.apply(plan.digest);
      if (opts.json) return printJson(result);
      const lines = [
        result.applied.length === 0 ? "nothing to apply" : `applied ${result.applied.length} change(s) (event ${result.eventId})`,
        ...[...new Set(result.pending.map((c) => c.command))].map((command) => `still to do: ${command}`),
        "",
      ];
      process.stdout.write(lines.join("\n"));
    });

  program
    .command("export")
    .description("write the running state as rampart.yaml (what rampart plan then shows as no changes)")
    .option("--out <file>", "write to this file instead of stdout")
    .option("--json", "print JSON ({ yaml })")
    .action(async (options: { out?: string; json?: boolean }) => {
      const opts = { ...globals(), ...options };
      const yaml = await clientFor(opts).exportManifest();
      if (opts.json) return printJson({ yaml });
      if (options.out) {
        writeFileSync(options.out, yaml);
        process.stderr.write(`wrote ${options.out}\n`);
      } else process.stdout.write(yaml);
    });
}
