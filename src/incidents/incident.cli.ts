import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import { ago, clientFor, printJson, printTable, type GlobalOptions } from "../cli/cli-context.ts";
import { durationOption, positiveIntOption } from "../cli/cli-usage.ts";
import { errorMessage, RampartError } from "../shared/errors.ts";
import { pct } from "./impact.ts";
import {
  incidentRoles,
  incidentStatuses,
  postmortemEditSchema,
  severityMeaning,
  type IncidentView,
  type TimelineEntry,
} from "./incident.types.ts";
import { postmortemMarkdown } from "./postmortem.ts";
import type { DoraReport } from "./dora.ts";

type Opts = GlobalOptions & { json?: boolean };

function severityOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 4) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a severity: 1 (worst) to 4`);
  return n;
}

function idArgument(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not an incident id: rampart incident list shows them`);
  return n;
}

export function registerIncidentCommands(program: Command, globals: () => GlobalOptions): void {
  const opts = <T extends object>(options: T) => ({ ...globals(), ...options });
  const incident = program
    .command("incident")
    .description("incidents: open, roles, status, notes; the timeline writes itself from the event log");

  incident
    .command("open")
    .description(
      `open an incident. Severities: ${Object.entries(severityMeaning)
        .map(([s, m]) => `SEV-${s} ${m.split(":")[0]}`)
        .join(", ")}; when in doubt, the higher`,
    )
    .argument("<title>", "what is wrong, as users see it")
    .requiredOption("--sev <n>", "severity 1 (worst) to 4", severityOption)
    .option("--env <env>", "the environment affected")
    .option("--app <app>", "the app affected")
    .option("--json", "print JSON")
    .action(async (title: string, options: Opts & { sev: number; env?: string; app?: string }) => {
      const o = opts(options);
      const view = await clientFor(o).openIncident({ title, severity: o.sev, env: o.env, app: o.app });
      if (o.json) return printJson(view);
      process.stdout.write(
        `incident ${view.id} opened (SEV-${view.severity}, investigating): ${view.title}\nnext: rampart incident role ${view.id} commander NAME\n`,
      );
    });

  incident
    .command("list")
    .description("incidents, newest first, and proposals after automatic rollbacks")
    .addOption(new Option("--status <status>", "which ones").choices(["open", "resolved", "all"]).default("all"))
    .option("--json", "print JSON")
    .action(async (options: Opts & { status: "open" | "resolved" | "all" }) => {
      const o = opts(options);
      const result = await clientFor(o).incidents({ status: o.status });
      if (o.json) return printJson(result);
      if (result.incidents.length === 0) process.stdout.write('no incidents: rampart incident open --sev 2 "TITLE" --env ENV --app APP\n');
      else
        printTable(
          ["ID", "SEV", "STATUS", "WHERE", "OPENED", "COMMANDER", "POSTMORTEM", "TITLE"],
          result.incidents.map((i) => [
            String(i.id),
            `SEV-${i.severity}`,
            i.status,
            where(i),
            ago(i.openedAt),
            i.roles.commander ?? "-",
            i.postmortem,
            i.title,
          ]),
        );
      for (const p of result.proposals) process.stdout.write(`proposed: ${p.message}\n`);
    });

  incident
    .command("show")
    .description("an incident: typed timestamps, MTTD/MTTA/MTTR, suspect change and its timeline")
    .argument("<id>", "incident id", idArgument)
    .option("--json", "print JSON (the incident and its timeline)")
    .action(async (id: number, options: Opts) => {
      const o = opts(options);
      const client = clientFor(o);
      const [view, timeline] = await Promise.all([client.incident(id), client.incidentTimeline(id)]);
      if (o.json) return printJson({ incident: view, timeline });
      printIncident(view, timeline);
    });

  incident
    .command("role")
    .description("assign a role: commander, scribe, communications, or add a subject matter expert (sme)")
    .argument("<id>", "incident id", idArgument)
    .argument("<role>", incidentRoles.join(" | "))
    .argument("<person>", "who")
    .action(async (id: number, role: string, person: string, options: Opts) => {
      const parsed = incidentRoles.find((r) => r === role);
      if (!parsed)
        throw new RampartError("invalid_option", `${JSON.stringify(role)} is not a role: one of ${incidentRoles.join(", ")}`, {
          hint: `rampart incident role ${id} commander NAME`,
        });
      const view = await clientFor(opts(options)).assignIncidentRole(id, parsed, person);
      process.stdout.write(`incident ${view.id}: ${person} is ${parsed}\n`);
    });

  incident
    .command("status")
    .description(`move an incident: ${incidentStatuses.join(" → ")}`)
    .argument("<id>", "incident id", idArgument)
    .argument("<status>", incidentStatuses.join(" | "))
    .option("-m, --message <text>", "what changed")
    .action(async (id: number, status: string, options: Opts & { message?: string }) => {
      const parsed = incidentStatuses.find((s) => s === status);
      if (!parsed)
        throw new RampartError("invalid_option", `${JSON.stringify(status)} is not a status: one of ${incidentStatuses.join(", ")}`, {
          hint: `rampart incident status ${id} monitoring`,
        });
      const o = opts(options);
      const view = await clientFor(o).setIncidentStatus(id, parsed, o.message);
      process.stdout.write(
        `incident ${view.id} is ${view.status}${view.status === "resolved" ? `; postmortem ${view.postmortem}: rampart postmortem show ${view.id}` : ""}\n`,
      );
    });

  incident
    .command("note")
    .description("add a note or update to the incident's timeline")
    .argument("<id>", "incident id", idArgument)
    .argument("<text>", "the note")
    .action(async (id: number, text: string, options: Opts) => {
      await clientFor(opts(options)).noteIncident(id, text);
      process.stdout.write(`noted on incident ${id}\n`);
    });

  const postmortem = program.command("postmortem").description("blameless postmortems: drafted from the timeline and the measurements");
  postmortem
    .command("show")
    .argument("<id>", "incident id", idArgument)
    .option("--markdown", "print Markdown (the default)")
    .option("--json", "print JSON")
    .action(async (id: number, options: Opts & { markdown?: boolean }) => {
      const o = opts(options);
      const p = await clientFor(o).postmortem(id);
      if (o.json) return printJson(p);
      process.stdout.write(postmortemMarkdown(p));
    });
  postmortem
    .command("edit")
    .description("edit the postmortem's text and action items in $EDITOR (JSON; set written: true when it is done)")
    .argument("<id>", "incident id", idArgument)
    .action(async (id: number, options: Opts) => {
      const client = clientFor(opts(options));
      const p = await client.postmortem(id);
      const editable = {
        summary: p.summary,
        trigger: p.trigger,
        detection: p.detection,
        response: p.response,
        recovery: p.recovery,
        wentWell: p.wentWell,
        wentBadly: p.wentBadly,
        actionItems: p.actionItems.length > 0 ? p.actionItems : [{ text: "WHAT", owner: "WHO", due: "YYYY-MM-DD", done: false }],
        written: p.state === "written",
      };
      const dir = mkdtempSync(join(tmpdir(), "rampart-postmortem-"));
      try {
        const file = join(dir, `postmortem-${id}.json`);
        writeFileSync(file, `${JSON.stringify(editable, null, 2)}\n`);
        const editor = process.env.VISUAL || process.env.EDITOR || "vi";
        const ran = spawnSync(`${editor} "${file}"`, { stdio: "inherit", shell: true });
        if (ran.status !== 0)
          throw new RampartError("invalid_option", `${editor} exited with ${ran.status ?? ran.signal}: nothing was saved`, {
            hint: "set EDITOR to an editor that exits 0 when saved",
          });
        let value: unknown;
        try {
          value = JSON.parse(readFileSync(file, "utf8"));
        } catch (error) {
          throw new RampartError("invalid_option", `the edited postmortem is not JSON (${errorMessage(error)}): nothing was saved`, {
            hint: `run rampart postmortem edit ${id} again`,
          });
        }
        const edit = postmortemEditSchema.safeParse(value);
        if (!edit.success) {
          throw new RampartError(
            "invalid_option",
            `the edited postmortem is not valid: ${edit.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
            {
              hint: `run rampart postmortem edit ${id} again (action items need text, owner and due as YYYY-MM-DD)`,
            },
          );
        }
        const items = edit.data.actionItems?.filter((a) => a.text !== "WHAT");
        // Someone may save while $EDITOR is open: their save is not overwritten (409 postmortem_changed).
        const saved = await client.editPostmortem(id, { ...edit.data, actionItems: items, ifEditedAt: p.editedAt });
        process.stdout.write(`postmortem of incident ${id} saved (${saved.state})\n`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  postmortem
    .command("done")
    .description("mark an action item done")
    .argument("<id>", "incident id", idArgument)
    .argument("<item>", "action item number (from 1)", positiveIntOption)
    .action(async (id: number, item: number, options: Opts) => {
      const p = await clientFor(opts(options)).completeActionItem(id, item);
      const open = p.actionItems.filter((a) => !a.done).length;
      process.stdout.write(`action item ${item} of incident ${id} done; ${open} still open\n`);
    });

  program
    .command("dora")
    .description("the four keys from the event log, each with its DORA 2024 cluster level")
    .option("--env <env>", "the environment (production unless given)", "production")
    .option("--app <app>", "only this app")
    .option("--since <duration>", "look back this far", durationOption, "90d")
    .option("--json", "print JSON")
    .action(async (options: Opts & { env: string; app?: string; since: string }) => {
      const o = opts(options);
      const report = await clientFor(o).dora({ env: o.env, app: o.app, since: o.since });
      if (o.json) return printJson(report);
      printDora(report);
    });
}

function where(i: Pick<IncidentView, "env" | "app">): string {
  return [i.app, i.env].filter(Boolean).join("@") || "-";
}

const at = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString());
const dur = (ms: number | null) => (ms === null ? "-" : ms < 120_000 ? `${Math.round(ms / 1000)}s` : `${(ms / 60_000).toFixed(1)}m`);

function printIncident(i: IncidentView, timeline: TimelineEntry[]): void {
  const t = i.timestamps;
  const lines = [
    `incident ${i.id}: ${i.title}`,
    `  SEV-${i.severity} · ${i.status} · ${where(i)} · opened by ${i.openedBy} · postmortem ${i.postmortem}`,
    `  roles: commander ${i.roles.commander ?? "-"}, scribe ${i.roles.scribe ?? "-"}, communications ${i.roles.communications ?? "-"}, sme ${i.roles.sme.join(", ") || "-"}`,
    `  impact started ${at(t.impactStarted)}  detected ${at(t.detected)}  acknowledged ${at(t.acknowledged)}`,
    `  mitigated ${at(t.mitigated)}  resolved ${at(t.resolved)}`,
    `  MTTD ${dur(i.measures.mttdMs)}  MTTA ${dur(i.measures.mttaMs)}  to mitigate ${dur(i.measures.mttmMs)}  MTTR ${dur(i.measures.mttrMs)}`,
  ];
  if (i.suspect) lines.push(`  suspect: ${i.suspect.message}`, ...i.suspect.evidence.map((e) => `    - ${e}`));
  lines.push("", "timeline:");
  for (const e of timeline) lines.push(`  ${at(e.at)}  ${e.kind.padEnd(8)} ${e.type.padEnd(24)} ${e.message} (${e.actor})`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

function printDora(r: DoraReport): void {
  const days = Math.round((r.until - r.since) / 86_400_000);
  const level = (l: string | null) => (l === null ? "-" : `${l} (DORA 2024)`);
  process.stdout.write(`four keys of ${r.app ?? "every app"} in ${r.env}, last ${days} days: ${r.deployments} deployments\n`);
  printTable(
    ["KEY", "VALUE", "LEVEL"],
    [
      ["deployment frequency", `${r.deploymentFrequency.perDay.toFixed(2)}/day`, level(r.deploymentFrequency.level)],
      ["lead time for changes (median)", `${dur(r.leadTime.medianMs)} (${r.leadTime.samples} with a commit time)`, level(r.leadTime.level)],
      [
        "change failure rate",
        r.changeFailureRate.ratio === null
          ? "-"
          : `${pct(r.changeFailureRate.ratio)} (${r.changeFailureRate.failed} of ${r.changeFailureRate.deployments})`,
        level(r.changeFailureRate.level),
      ],
      [
        "failed deployment recovery time (median)",
        `${dur(r.recoveryTime.medianMs)} (${r.recoveryTime.samples} recovered, ${r.recoveryTime.unrecovered} not)`,
        level(r.recoveryTime.level),
      ],
    ],
  );
  const i = r.incidents;
  process.stdout.write(
    `incidents opened in the window: ${i.count}; mean MTTD ${dur(i.mttdMs)}, MTTA ${dur(i.mttaMs)}, MTTR ${dur(i.mttrMs)}\n`,
  );
}
