import type { Command } from "commander";
import { clientFor, printJson, sinceToEpoch, type GlobalOptions } from "../cli/cli-context.ts";
import { durationOption, positiveIntOption } from "../cli/cli-usage.ts";
import { followNotices } from "../cli/follow-notice.ts";
import type { RampartEvent } from "./event.types.ts";

export function registerEventCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command("events")
    .description("read the event log: every release, rollout step, instance change")
    .option("--since <duration>", "only the last DURATION, e.g. 1h or 7d", durationOption, "24h")
    .option("--app <app>", "only this app")
    .option("--env <env>", "only this environment")
    .option("--type <type>", "an event type, or a prefix such as release.")
    .option("--limit <n>", "at most N events", positiveIntOption, 200)
    .option("--follow", "keep printing new events (across control-plane restarts: none missed, none twice)")
    .option("--json", "print JSON (with --follow: one event per line)")
    .action(
      async (options: GlobalOptions & { since: string; app?: string; env?: string; type?: string; limit: number; follow?: boolean }) => {
        const opts = { ...globals(), ...options };
        const client = clientFor(opts);
        const filter = { env: options.env, app: options.app, type: options.type };
        const events = await client.events({ ...filter, since: sinceToEpoch(options.since), limit: options.limit });
        if (opts.json && !options.follow) return printJson({ events });
        for (const event of events) print(event, opts.json);
        if (!options.follow) return;
        const afterId = events.at(-1)?.id ?? (await client.events({ limit: 1 })).at(-1)?.id ?? 0;
        const follow = { ...followNotices("event stream"), lastEventId: String(afterId) };
        for await (const event of client.streamEvents({ ...filter, afterId }, undefined, follow)) print(event, opts.json);
      },
    );
}

function print(event: RampartEvent, json: boolean | undefined): void {
  if (json) return void process.stdout.write(`${JSON.stringify(event)}\n`);
  const where = [event.env, event.app, event.release === null ? null : `r${event.release}`].filter(Boolean).join("/");
  process.stdout.write(`${new Date(event.at).toISOString()}  ${event.type.padEnd(20)} ${where.padEnd(24)} ${event.message}\n`);
}
