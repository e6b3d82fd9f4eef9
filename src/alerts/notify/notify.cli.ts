import type { Command } from "commander";
import { ago, clientFor, printJson, printTable, type GlobalOptions } from "../../cli/cli-context.ts";
import { positiveIntOption } from "../../cli/cli-usage.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `rampart silence create|list|expire`, `rampart alerts deliveries` and `rampart alerts notifications` (the on-call
 * view: what the console receiver got). `alerts` is shared with alert evaluation's commands, so it is reused when
 * already registered.
 */
export function registerAlertNotifyCommands(program: Command, globals: () => GlobalOptions): void {
  const opts = <T extends object>(options: T) => ({ ...globals(), ...options });
  const silence = program.command("silence").description("mute alerts by label matchers for a while, with a reason");

  silence
    .command("create")
    .description('mute the alerts matching every --match, e.g. rampart silence create --match app=api --for 2h --reason "…"')
    .requiredOption("--match <matcher>", 'a label matcher: app=api, env!=staging, app=~"api|web" (repeatable)', collect)
    .requiredOption("--for <duration>", "how long, e.g. 30m, 2h, 1d (at most 30d)")
    .requiredOption("--reason <text>", "why, for whoever is paged next")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions & { match: string[]; for: string; reason: string; json?: boolean }) => {
      const o = opts(options);
      const created = await clientFor(o).createSilence({ matchers: options.match, duration: options.for, reason: options.reason });
      if (o.json) return printJson(created);
      process.stdout.write(`silence ${created.id} until ${new Date(created.endsAt).toISOString()} on ${created.matchers.join(", ")}\n`);
      process.stdout.write(`end it early with: rampart silence expire ${created.id}\n`);
    });

  silence
    .command("list")
    .description("silences that have not ended (--all: also the expired ones)")
    .option("--all", "include expired silences")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions & { all?: boolean; json?: boolean }) => {
      const o = opts(options);
      const silences = await clientFor(o).silences(options.all ?? false);
      if (o.json) return printJson({ silences });
      if (silences.length === 0)
        return void process.stdout.write('no silences; create one with: rampart silence create --match app=APP --for 1h --reason "…"\n');
      printTable(
        ["ID", "STATE", "MATCHERS", "ENDS", "AUTHOR", "REASON"],
        silences.map((s) => [s.id, s.state, s.matchers.join(","), new Date(s.expiredAt ?? s.endsAt).toISOString(), s.author, s.reason]),
      );
    });

  silence
    .command("expire <id>")
    .description("end a silence now")
    .option("--json", "print JSON")
    .action(async (id: string, options: GlobalOptions & { json?: boolean }) => {
      const o = opts(options);
      const expired = await clientFor(o).expireSilence(id);
      if (o.json) return printJson(expired);
      process.stdout.write(`silence ${expired.id} expired; its alerts are notified again at their next group interval\n`);
    });

  const alerts =
    program.commands.find((c) => c.name() === "alerts") ??
    program.command("alerts").description("alerts: rules, notifications, deliveries");
  // `rampart alerts` has its own `--json`, which commander then reads as the parent's when given after these subcommands.
  const withParentJson = <T extends { json?: boolean }>(options: T) => ({
    ...opts(options),
    json: options.json === true || alerts.opts<{ json?: boolean }>().json === true,
  });
  alerts
    .command("deliveries")
    .description("the delivery log: each notification to a receiver, attempts, status and last error")
    .option("--receiver-kind <kind>", "only webhook | slack | email | alertmanager | console")
    .option("--limit <n>", "at most N", positiveIntOption, 50)
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions & { receiverKind?: string; limit: number; json?: boolean }) => {
      const o = withParentJson(options);
      const deliveries = await clientFor(o).alertDeliveries({ kind: options.receiverKind, limit: options.limit });
      if (o.json) return printJson({ deliveries });
      printTable(
        ["ID", "WHEN", "RECEIVER", "KIND", "STATUS", "ATTEMPTS", "REASON", "ALERTS", "ERROR"],
        deliveries.map((d) => [
          String(d.id),
          ago(d.at),
          d.receiver,
          d.kind,
          d.status,
          String(d.attempts),
          d.reason,
          d.alerts
            .map(
              (a) => `${a.labels.alertname ?? "?"}${a.labels.app ? `/${a.labels.app}` : ""}${a.state === "resolved" ? " (resolved)" : ""}`,
            )
            .join(", "),
          d.error ?? "",
        ]),
      );
    });

  alerts
    .command("notifications")
    .description("the on-call view: notifications routed to the console receiver (warnings by default), newest first")
    .option("--limit <n>", "at most N", positiveIntOption, 20)
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions & { limit: number; json?: boolean }) => {
      const o = withParentJson(options);
      const notifications = await clientFor(o).alertDeliveries({ kind: "console", limit: options.limit });
      if (o.json) return printJson({ notifications });
      if (notifications.length === 0) return void process.stdout.write("no notifications for the on-call view\n");
      for (const n of notifications) process.stdout.write(`── ${new Date(n.at).toISOString()} (${ago(n.at)})\n${n.text}\n\n`);
    });
}
