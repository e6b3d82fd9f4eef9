import type { Command } from "commander";
import { clientFor, printJson, printTable, type GlobalOptions } from "../cli/cli-context.ts";

/** "2026-03-30 09:00 CEST" in the schedule's zone: hand-offs are read as wall-clock times. */
function local(at: number, timeZone: string): string {
  return (
    new Intl.DateTimeFormat("sv-SE", { timeZone, dateStyle: "short", timeStyle: "short" }).format(at) +
    ` ${new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "short" }).formatToParts(at).find((p) => p.type === "timeZoneName")?.value ?? ""}`
  );
}

/**
 * `rampart oncall who|override|overrides|unoverride|escalations` and `rampart alerts ack|resolve`. `alerts` is shared
 * with alert evaluation's commands, so it is reused when already registered.
 */
export function registerOncallCommands(program: Command, globals: () => GlobalOptions): void {
  const opts = <T extends object>(options: T) => ({ ...globals(), ...options });
  const oncall = program.command("oncall").description("on-call: who is on call, overrides, escalations");

  oncall
    .command("who")
    .description("who is on call in each schedule, now or --at a time")
    .option("--at <time>", "ISO 8601 with an offset, e.g. 2026-03-29T09:00:00+02:00")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions & { at?: string; json?: boolean }) => {
      const o = opts(options);
      const who = await clientFor(o).oncallWho(options.at);
      if (o.json) return printJson(who);
      if (who.schedules.length === 0)
        return void process.stdout.write("no schedules; declare one under oncall.schedules in rampart.yaml (docs/oncall.md)\n");
      printTable(
        ["SCHEDULE", "ON CALL", "SINCE", "UNTIL", "CHANNELS", "NOTE"],
        who.schedules.map((s) => [
          s.schedule,
          s.user,
          local(s.from, s.timeZone),
          local(s.to, s.timeZone),
          Object.keys(s.contact ?? {}).join(",") || "none",
          s.override ? `override for ${s.rotation}` : "",
        ]),
      );
    });

  oncall
    .command("override")
    .description("put someone on call in a schedule for a while")
    .requiredOption("--schedule <name>", "a schedule in rampart.yaml oncall.schedules")
    .requiredOption("--user <name>", "who stands in")
    .requiredOption("--from <time>", "ISO 8601 with an offset, e.g. 2026-03-28T18:00:00+01:00")
    .requiredOption("--to <time>", "ISO 8601 with an offset")
    .option("--reason <text>", "why, for the event log")
    .option("--json", "print JSON")
    .action(
      async (options: GlobalOptions & { schedule: string; user: string; from: string; to: string; reason?: string; json?: boolean }) => {
        const o = opts(options);
        const created = await clientFor(o).createOverride({
          schedule: options.schedule,
          user: options.user,
          from: options.from,
          to: options.to,
          ...(options.reason ? { reason: options.reason } : {}),
        });
        if (o.json) return printJson(created);
        process.stdout.write(
          `${created.user} on call for ${created.schedule} from ${new Date(created.from).toISOString()} to ${new Date(created.to).toISOString()}\n` +
            `remove it with: rampart oncall unoverride ${created.id}\n`,
        );
      },
    );

  oncall
    .command("overrides")
    .description("overrides made over the API that have not ended")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions & { json?: boolean }) => {
      const o = opts(options);
      const overrides = await clientFor(o).overrides();
      if (o.json) return printJson({ overrides });
      if (overrides.length === 0) return void process.stdout.write("no overrides\n");
      printTable(
        ["ID", "SCHEDULE", "USER", "FROM", "TO", "BY", "REASON"],
        overrides.map((v) => [
          v.id,
          v.schedule,
          v.user,
          new Date(v.from).toISOString(),
          new Date(v.to).toISOString(),
          v.createdBy,
          v.reason,
        ]),
      );
    });

  oncall
    .command("unoverride <id>")
    .description("remove an override")
    .option("--json", "print JSON")
    .action(async (id: string, options: GlobalOptions & { json?: boolean }) => {
      const o = opts(options);
      const removed = await clientFor(o).removeOverride(id);
      if (o.json) return printJson(removed);
      process.stdout.write(`override ${removed.id} removed; ${removed.schedule} follows its rotation again\n`);
    });

  oncall
    .command("escalations")
    .description("alerts paging someone (or acknowledged); --all: ended ones too")
    .option("--all", "include ended escalations")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions & { all?: boolean; json?: boolean }) => {
      const o = opts(options);
      const escalations = await clientFor(o).escalations(options.all ?? false);
      if (o.json) return printJson({ escalations });
      if (escalations.length === 0) return void process.stdout.write("nothing is paging\n");
      printTable(
        ["FINGERPRINT", "ALERT", "APP", "STATUS", "POLICY", "LEVEL", "ROUND", "NEXT", "BY"],
        escalations.map((e) => [
          e.fingerprint,
          e.alertname,
          e.labels.app ?? "",
          e.status,
          e.policy,
          String(e.level + 1),
          String(e.round + 1),
          e.nextAt === null ? "" : new Date(e.nextAt).toISOString(),
          e.endedBy ?? "",
        ]),
      );
    });

  const alerts =
    program.commands.find((c) => c.name() === "alerts") ??
    program.command("alerts").description("alerts: rules, notifications, deliveries");
  for (const [name, resolve] of [
    ["ack", false],
    ["resolve", true],
  ] as const) {
    alerts
      .command(`${name} <ref>`)
      .description(
        resolve
          ? "resolve an alert's escalation (fingerprint or alert name): paging ends"
          : "acknowledge an alert (fingerprint or alert name): its escalation stops paging",
      )
      .option("--json", "print JSON")
      .action(async (ref: string, options: GlobalOptions & { json?: boolean }) => {
        const o = opts(options);
        const escalations = await clientFor(o).ackAlert(ref, resolve);
        if (o.json) return printJson({ escalations });
        for (const e of escalations) process.stdout.write(`${e.alertname} (${e.fingerprint}) ${e.status} by ${e.endedBy ?? "?"}\n`);
      });
  }
}
