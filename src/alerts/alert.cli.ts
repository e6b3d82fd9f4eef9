import type { Command } from "commander";
import { ago, clientFor, type GlobalOptions, printJson, printTable, sinceToEpoch } from "../cli/cli-context.ts";
import { durationOption, positiveIntOption } from "../cli/cli-usage.ts";
import type { AlertView, RuleView } from "./alert.view.ts";

export function registerAlertCommands(program: Command, globals: () => GlobalOptions): void {
  const alerts = program
    .command("alerts")
    .description("active alerts (pending and firing); subcommands: list, rules, history")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions) => listActive({ ...globals(), ...options }));
  // `--json` after a subcommand (`rampart alerts rules --json`) is parsed as the parent's option: read it there too.
  const parentJson = (): boolean => alerts.opts<{ json?: boolean }>().json === true;
  alerts
    .command("list")
    .description("active alerts (pending and firing), the same as `rampart alerts`")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions) => listActive({ ...globals(), ...options, json: options.json || parentJson() }));

  const rules = alerts
    .command("rules")
    .description("every app's alert rules: defaults, rampart.yaml's and the API's, after overrides")
    .option("--app <app>", "only this app's")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions & { app?: string }) => {
      const opts = { ...globals(), ...options, json: options.json || parentJson() };
      const result = await clientFor(opts).alertRules();
      const shown = result.rules.filter((r) => options.app === undefined || r.app === options.app);
      if (opts.json) return printJson({ ...result, rules: shown });
      printTable(["APP", "RULE", "SOURCE", "SEVERITY", "FOR", "EXPRESSION"], shown.map(ruleCells));
      if (result.disabledDefaults.length > 0)
        process.stdout.write(`switched off (alerts.defaults): ${result.disabledDefaults.join(", ")}\n`);
    });
  rules
    .command("set <name>")
    .description("create or replace a rule over the API (it overrides a rule of the same name from rampart.yaml or the defaults)")
    .requiredOption("--expr <expression>", "the condition, e.g. 'error_ratio(5m) > 0.05' (docs/alerts.md)")
    .option("--for <duration>", "how long the condition must hold before the alert fires", "0s")
    .option("--severity <severity>", "info, warning or critical", "warning")
    .option("--app <app>", "only for this app (default: every app)")
    .option("--summary <text>", "annotation: one line, may use {{ $labels.app }} and {{ $value }}")
    .option("--runbook <url>", "annotation: runbook_url")
    .option("--json", "print JSON")
    .action(
      async (
        name: string,
        options: GlobalOptions & { expr: string; for: string; severity: string; app?: string; summary?: string; runbook?: string },
      ) => {
        const opts = { ...globals(), ...options, json: options.json || parentJson() };
        const annotations = {
          ...(options.summary ? { summary: options.summary } : {}),
          ...(options.runbook ? { runbook_url: options.runbook } : {}),
        };
        const result = await clientFor(opts).putAlertRule({
          name,
          expr: options.expr,
          for: options.for,
          severity: options.severity as RuleView["severity"],
          // `--app` after `set` may be taken by `rules` (which has its own --app filter).
          ...((options.app ?? rules.opts<{ app?: string }>().app) ? { app: options.app ?? rules.opts<{ app?: string }>().app } : {}),
          ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        });
        if (opts.json) return printJson(result);
        printTable(["APP", "RULE", "SOURCE", "SEVERITY", "FOR", "EXPRESSION"], result.rules.map(ruleCells));
      },
    );
  rules
    .command("delete <name>")
    .description("delete a rule created over the API")
    .option("--json", "print JSON")
    .action(async (name: string, options: GlobalOptions) => {
      const opts = { ...globals(), ...options, json: options.json || parentJson() };
      const result = await clientFor(opts).deleteAlertRule(name);
      if (opts.json) return printJson(result);
      process.stdout.write(`deleted alert rule ${result.deleted}\n`);
    });

  alerts
    .command("history")
    .description("alert transitions (pending, firing, resolved) and rule changes, from the event log")
    .option("--since <duration>", "only the last DURATION, e.g. 1h or 7d", durationOption, "24h")
    .option("--app <app>", "only this app")
    .option("--env <env>", "only this environment")
    .option("--limit <n>", "at most N events", positiveIntOption, 500)
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions & { since: string; app?: string; env?: string; limit: number }) => {
      const opts = { ...globals(), ...options, json: options.json || parentJson() };
      const history = await clientFor(opts).alertHistory({
        since: sinceToEpoch(options.since),
        app: options.app,
        env: options.env,
        limit: options.limit,
      });
      if (opts.json) return printJson(history);
      for (const e of history.events)
        process.stdout.write(
          `${new Date(e.at).toISOString()}  ${e.type.padEnd(18)} ${[e.env, e.app].filter(Boolean).join("/").padEnd(22)} ${e.message}\n`,
        );
    });
}

async function listActive(opts: GlobalOptions): Promise<void> {
  const { alerts } = await clientFor(opts).alerts();
  if (opts.json) return printJson({ alerts });
  if (alerts.length === 0) return void process.stdout.write("no active alerts\n");
  printTable(["STATE", "SEVERITY", "RULE", "ENV", "APP", "RELEASE", "VALUE", "SINCE", "SUMMARY"], alerts.map(alertCells));
}

function alertCells(a: AlertView): string[] {
  const value = a.value === null ? "-" : String(Math.round(a.value * 1000) / 1000);
  return [
    a.state,
    a.labels.severity ?? "-",
    a.rule,
    a.labels.env ?? "-",
    a.labels.app ?? "-",
    a.labels.rollout ? `${a.labels.release} (rollout ${a.labels.rollout})` : (a.labels.release ?? "-"),
    value,
    ago(a.firedAt ?? a.activeAt),
    a.annotations.summary ?? "",
  ];
}

function ruleCells(r: RuleView): string[] {
  return [r.app, r.name, r.source, r.severity, r.forMs === 0 ? "0s" : `${r.forMs / 1000}s`, r.expr];
}
