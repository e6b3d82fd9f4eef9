import type { Command } from "commander";
import { clientFor, printJson, sinceToEpoch, type GlobalOptions } from "../cli/cli-context.ts";
import { durationOption, positiveIntOption } from "../cli/cli-usage.ts";
import type { RampartEvent } from "../events/event.types.ts";

/** Exit status of `rampart audit verify` when the chain does not hold (1 stays "the command failed"). */
export const EXIT_CHAIN_BROKEN = 3;

export function registerAuditCommands(program: Command, globals: () => GlobalOptions): void {
  const audit = program
    .command("audit")
    .description("the audit log: who did what (requests, denials and every state change), and its verification")
    .option("--since <duration>", "only the last DURATION, e.g. 1h or 7d", durationOption, "24h")
    .option("--actor <actor>", "only what this actor did: a user name, svc:NAME, local or rampart")
    .option("--type <type>", "an event type, or a prefix such as audit. or release.")
    .option("--limit <n>", "at most N entries (the newest)", positiveIntOption, 200)
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions & { since: string; actor?: string; type?: string; limit: number }) => {
      const opts = { ...globals(), ...options };
      const events = await clientFor(opts).audit({
        since: sinceToEpoch(options.since),
        actor: options.actor,
        type: options.type,
        limit: options.limit,
      });
      if (opts.json) return printJson({ events });
      for (const event of events) process.stdout.write(`${line(event)}\n`);
    });
  audit
    .command("verify")
    .description("check the event log's hash chain and signed checkpoints: exits 0 when it holds, 3 naming the first altered event")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions) => {
      const opts = { ...globals(), ...audit.opts(), ...options };
      const result = await clientFor(opts).auditVerify();
      if (!result.ok) process.exitCode = EXIT_CHAIN_BROKEN;
      if (opts.json) return printJson(result);
      if (result.ok) return void process.stdout.write(`${result.message}\n`);
      process.stderr.write(`error: the audit chain does not hold: ${result.message}\n`);
      if (result.problem) process.stderr.write(`hint: ${result.problem.hint}\n`);
    });
}

function line(event: RampartEvent): string {
  const where = [event.env, event.app, event.release === null ? null : `r${event.release}`].filter(Boolean).join("/");
  return `${new Date(event.at).toISOString()}  ${event.actor.padEnd(14)} ${event.type.padEnd(22)} ${where.padEnd(22)} ${event.message}`;
}
