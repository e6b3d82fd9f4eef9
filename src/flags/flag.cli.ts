import { readFileSync } from "node:fs";
import { Option, type Command } from "commander";
import { ago, clientFor, printJson, printTable, type GlobalOptions } from "../cli/cli-context.ts";
import { durationOption, positiveIntOption } from "../cli/cli-usage.ts";
import { RampartError } from "../shared/errors.ts";
import { guardsFromFlags } from "./flag-plan.ts";
import { printFlag, printResult } from "./flag.cli-format.ts";
import { registerFlagReportCommand, registerFlagResultsCommand } from "./flag-results.cli.ts";
import { FLAG_KINDS, FLAG_TYPES } from "./flag.types.ts";

type Opts = GlobalOptions & { env?: string; reason?: string };
const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerFlagCommands(program: Command, globals: () => GlobalOptions): void {
  const flags = program
    .command("flags")
    .description("feature flags: targeting per environment, rollouts that guard themselves, kill switch, approvals");
  const opts = <T extends object>(options: T) => ({ ...globals(), ...options });

  flags
    .command("list")
    .description("every flag with what it serves and whether it is stale")
    .option("--env <env>", "only this environment")
    .option("--json", "print JSON")
    .action(async (options: Opts) => {
      const o = opts(options);
      const list = await clientFor(o).flags(o.env);
      if (o.json) return printJson(list);
      if (list.length === 0) return void process.stdout.write("no flags yet: rampart flags create KEY\n");
      printTable(
        ["FLAG", "ENV", "KIND", "SERVING", "ROLLOUT", "STALE"],
        list.flatMap((f) =>
          f.environments.map((e) => [
            f.key,
            e.env,
            f.kind,
            e.serving,
            e.rollout ? `${e.rollout.state} ${e.rollout.percentage}%` : "-",
            e.stale.stale ? `yes: ${e.stale.reasons.join("; ")}` : "no",
          ]),
        ),
      );
    });

  flags
    .command("get <key>")
    .description("one flag; with --context k=v, what it serves that context")
    .option("--env <env>", "environment (required with --context)")
    .option("--context <k=v>", "context attribute, repeatable (numbers and true/false are typed)", collect)
    .option("--json", "print JSON")
    .action(async (key: string, options: Opts & { context?: string[] }) => {
      const o = opts(options);
      if (o.context && !o.env) throw new RampartError("invalid_option", "--context needs --env: an evaluation happens in one environment");
      const client = clientFor(o);
      if (o.context && o.env) {
        const result = await client.evaluateFlag(key, o.env, parseContext(o.context));
        if (o.json) return printJson(result);
        return void process.stdout.write(
          `${key} in ${o.env}: ${result.variation} = ${JSON.stringify(result.value)} (${result.reason}${result.errorMessage ? `: ${result.errorMessage}` : ""}; snapshot ${result.version})\n`,
        );
      }
      const flag = await client.flag(key, o.env);
      if (o.json) return printJson(flag);
      printFlag(flag);
    });

  flags
    .command("create <key>")
    .description("create a flag; every environment gets it serving its off variation")
    .addOption(new Option("--type <type>", "the value type").choices(FLAG_TYPES).default("boolean"))
    .addOption(new Option("--kind <kind>", "what it is for (sets its expected lifetime)").choices(FLAG_KINDS).default("release"))
    .option(
      "--variation <key=json>",
      "a variation of a non-boolean flag, repeatable: --variation control='\"a\"' --variation v2='\"b\"'",
      collect,
    )
    .option("--off <variation>", "the variation served when killed (default: off, or the first variation)")
    .option("--description <text>", "what the flag is for")
    .option("--env <env>", "the environment you will roll it out in (for the next step shown)")
    .option("--json", "print JSON")
    .action(
      async (key: string, options: Opts & { type: string; kind: string; variation?: string[]; off?: string; description?: string }) => {
        const o = opts(options);
        const flag = await clientFor(o).createFlag({
          key,
          type: o.type as "boolean",
          kind: o.kind as "release",
          description: o.description,
          offVariation: o.off,
          variations: o.variation?.map(parseVariation),
        });
        if (o.json) return printJson(flag);
        const env = o.env ?? flag.environments[0]?.env ?? "ENV";
        process.stdout.write(
          `created ${flag.type} flag ${key}: serving ${flag.offVariation} in ${flag.environments.map((e) => e.env).join(", ")}\n`,
        );
        process.stdout.write(
          `next: rampart flags token --env ${env} (for the SDK), then rampart flags rollout ${key} --env ${env} --percent 5 --by userId\n`,
        );
      },
    );

  flags
    .command("set <key>")
    .description("change a flag's targeting in one environment (a protected environment files a change request)")
    .requiredOption("--env <env>", "environment")
    .option("--enabled <bool>", "true turns a killed flag back on, false kills it")
    .option("--serve <variation>", "serve this variation to everyone no rule matches")
    .option("--rules <json|@file>", "the full list of targeting rules, as JSON or @path to a JSON file")
    .option("--prerequisite <flag=variation>", "repeatable; replaces the prerequisites", collect)
    .option("--reason <text>", "why (recorded in the event)")
    .option("--json", "print JSON")
    .action(async (key: string, options: Opts & { enabled?: string; serve?: string; rules?: string; prerequisite?: string[] }) => {
      const o = opts(options);
      const change = {
        enabled: o.enabled === undefined ? undefined : parseBool(o.enabled),
        fallthrough: o.serve === undefined ? undefined : { variation: o.serve },
        rules: o.rules === undefined ? undefined : (readJson(o.rules, "--rules") as never),
        prerequisites: o.prerequisite?.map((p) => {
          const [flag, variation] = p.split("=");
          if (!flag || !variation) throw new RampartError("invalid_option", `--prerequisite ${p}: expected flag=variation`);
          return { flag, variation };
        }),
        reason: o.reason,
      };
      const result = await clientFor(o).setFlag(key, o.env ?? "", change);
      if (o.json) return printJson(result);
      printResult(result);
    });

  flags
    .command("rollout <key> [action]")
    .description("serve a percentage (--percent), start a guarded plan (--plan), or show/pause/resume/stop the plan")
    .requiredOption("--env <env>", "environment")
    .option("--percent <n>", "share of contexts that get the variation (0-100); raising it keeps everyone already in")
    .option("--plan <steps>", "guarded plan, e.g. 5,25,50,100")
    .option("--every <duration>", "how long each step holds before it may advance, e.g. 1h or 1d", durationOption, "1h")
    .option(
      "--guard <metric=limit>",
      "errors=2x, errors=1%, p99=1.5x, p99=300ms, p50=…, or a business metric conversion:purchase>=0.98x (also events:, value:); repeatable (defaults: errors=2x, p99=1.5x)",
      collect,
    )
    .addOption(
      new Option("--on-fail <action>", "what a failed guard does: pause, or off (kill the flag)")
        .choices(["pause", "off"])
        .default("pause"),
    )
    .option("--min-samples <n>", "requests per variation before a step may pass (default 100)", positiveIntOption)
    .option("--by <attribute>", "context attribute that keeps a user on one side", "targetingKey")
    .option("--variation <key>", "what users in the rollout get (boolean: on)")
    .option("--out-variation <key>", "what the others get (default: the off variation)")
    .option("--reason <text>", "why (recorded in the event)")
    .option("--json", "print JSON")
    .action(
      async (
        key: string,
        action: string | undefined,
        options: Opts & {
          percent?: string;
          plan?: string;
          every: string;
          guard?: string[];
          onFail: string;
          minSamples?: number;
          by: string;
          variation?: string;
          outVariation?: string;
        },
      ) => {
        const o = opts(options);
        const env = o.env ?? "";
        if (action !== undefined && action !== "status" && action !== "pause" && action !== "resume" && action !== "stop")
          throw new RampartError("invalid_option", `"${action}" is not one of status, pause, resume, stop`);
        const { guards, issues } = guardsFromFlags(o.guard ?? []);
        if (issues.length > 0) throw new RampartError("invalid_option", issues.join("; "));
        const steps = o.plan?.split(",").map((s) => Number(s.trim()));
        if (steps?.some((n) => !Number.isFinite(n)))
          throw new RampartError("invalid_option", `--plan ${o.plan}: expected increasing percentages, e.g. 5,25,50,100`);
        const percentage = o.percent === undefined ? undefined : Number(o.percent.replace(/%$/, ""));
        if (percentage !== undefined && !Number.isFinite(percentage))
          throw new RampartError("invalid_option", `--percent ${o.percent}: expected a number from 0 to 100`);
        const client = clientFor(o);
        let result;
        if (action !== undefined && action !== "status") {
          result = await client.controlFlagPlan(key, env, action, { reason: o.reason });
        } else if (steps !== undefined) {
          result = await client.planFlag(key, env, {
            steps,
            every: o.every,
            guards,
            onFail: o.onFail as "pause",
            by: o.by,
            variation: o.variation,
            outVariation: o.outVariation,
            minSamples: o.minSamples,
            reason: o.reason,
          });
        } else if (percentage !== undefined) {
          result = await client.rolloutFlag(key, env, {
            percentage,
            by: o.by,
            variation: o.variation,
            outVariation: o.outVariation,
            reason: o.reason,
          });
        } else {
          const flag = await client.flag(key, env);
          if (o.json) return printJson(flag.environments[0]?.rollout ?? null);
          const r = flag.environments[0]?.rollout;
          if (!r)
            return void process.stdout.write(
              `no guarded rollout of ${key} in ${env}: start one with rampart flags rollout ${key} --env ${env} --plan 5,25,50,100 --every 1h\n`,
            );
          return printFlag(flag);
        }
        if (o.json) return printJson(result);
        printResult(result);
      },
    );

  flags
    .command("kill <key>")
    .description("kill switch: everyone in the environment gets the off variation now (no approval needed)")
    .requiredOption("--env <env>", "environment")
    .option("--reason <text>", "why (recorded in the event)")
    .option("--json", "print JSON")
    .action(async (key: string, options: Opts) => {
      const o = opts(options);
      const result = await clientFor(o).killFlag(key, o.env ?? "", { reason: o.reason });
      if (o.json) return printJson(result);
      printResult(result);
    });

  flags
    .command("history <key>")
    .description("who changed the flag, when, before and after")
    .option("--env <env>", "only this environment")
    .option("--limit <n>", "newest n events", positiveIntOption, 50)
    .option("--json", "print JSON")
    .action(async (key: string, options: Opts & { limit: number }) => {
      const o = opts(options);
      const events = await clientFor(o).flagHistory(key, { env: o.env, limit: o.limit });
      if (o.json) return printJson(events);
      printTable(
        ["WHEN", "TYPE", "ENV", "ACTOR", "WHAT"],
        events.map((e) => [ago(e.at), e.type, e.env ?? "-", e.actor, e.message]),
      );
    });

  flags
    .command("token")
    .description("create an SDK token for one environment (printed once; only its SHA-256 is kept)")
    .requiredOption("--env <env>", "environment")
    .option("--json", "print JSON")
    .action(async (options: Opts) => {
      const o = opts(options);
      const { token } = await clientFor(o).createSdkToken(o.env ?? "");
      if (o.json) return printJson({ token, env: o.env });
      process.stdout.write(`${token}\n`);
      process.stderr.write(`SDK token for ${o.env}: give it to your app as RAMPART_FLAGS_TOKEN; it is not shown again\n`);
    });

  flags
    .command("requests")
    .description("change requests of protected environments")
    .option("--env <env>", "only this environment")
    .addOption(new Option("--status <status>", "only requests in this state").choices(["pending", "applied", "rejected"]))
    .option("--json", "print JSON")
    .action(async (options: Opts & { status?: string }) => {
      const o = opts(options);
      const requests = await clientFor(o).flagRequests({ env: o.env, status: o.status as "pending" | undefined });
      if (o.json) return printJson(requests);
      if (requests.length === 0) return void process.stdout.write("no change requests\n");
      printTable(
        ["ID", "ENV", "STATUS", "BY", "WHEN", "CHANGE"],
        requests.map((r) => [
          String(r.id),
          r.env,
          r.status + (r.decidedBy ? ` by ${r.decidedBy}` : ""),
          r.requestedBy,
          ago(r.requestedAt),
          r.summary,
        ]),
      );
    });

  for (const verb of ["approve", "reject"] as const) {
    flags
      .command(verb)
      .argument("<id>", "the change request's number (rampart flags requests)", positiveIntOption)
      .description(verb === "approve" ? "approve and apply a change request (you must not be its requester)" : "reject a change request")
      .option("--reason <text>", "why (recorded in the event)")
      .option("--json", "print JSON")
      .action(async (id: number, options: Opts) => {
        const o = opts(options);
        const client = clientFor(o);
        const result = verb === "approve" ? await client.approveFlagChange(id) : await client.rejectFlagChange(id, { reason: o.reason });
        if (o.json) return printJson(result);
        if ("applied" in result) printResult(result);
        else process.stdout.write(`change request ${result.id} rejected\n`);
      });
  }

  flags
    .command("segments")
    .description("list an environment's segments")
    .requiredOption("--env <env>", "environment")
    .option("--json", "print JSON")
    .action(async (options: Opts) => {
      const o = opts(options);
      const segments = await clientFor(o).flagSegments(o.env ?? "");
      if (o.json) return printJson(segments);
      printTable(
        ["SEGMENT", "BY", "INCLUDED", "EXCLUDED", "RULES"],
        segments.map((s) => [s.key, s.by, String(s.included.length), String(s.excluded.length), String(s.rules.length)]),
      );
    });

  flags
    .command("segment <key>")
    .description("create or replace a segment (or --delete it); use it in rules with the in_segment operator")
    .requiredOption("--env <env>", "environment")
    .option("--by <attribute>", "attribute the included/excluded lists name", "targetingKey")
    .option("--include <values>", "comma-separated", "")
    .option("--exclude <values>", "comma-separated", "")
    .option("--rules <json|@file>", "rules: [{ clauses: [...] }]")
    .option("--delete", "delete the segment")
    .option("--json", "print JSON")
    .action(async (key: string, options: Opts & { by: string; include: string; exclude: string; rules?: string; delete?: boolean }) => {
      const o = opts(options);
      const client = clientFor(o);
      const list = (text: string) =>
        text
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== "");
      const result = o.delete
        ? await client.deleteFlagSegment(o.env ?? "", key)
        : await client.setFlagSegment(o.env ?? "", key, {
            by: o.by,
            included: list(o.include),
            excluded: list(o.exclude),
            rules: o.rules === undefined ? [] : (readJson(o.rules, "--rules") as never),
          });
      if (o.json) return printJson(result);
      printResult(result);
    });

  registerFlagResultsCommand(flags, globals);
  registerFlagReportCommand(flags, globals);
}

function parseBool(value: string): boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  throw new RampartError("invalid_option", `--enabled ${value}: expected true or false`);
}

function parseVariation(text: string): { key: string; value: never } {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new RampartError("invalid_option", `--variation ${text}: expected key=value, e.g. v2='"blue"' or size=3`);
  const raw = text.slice(eq + 1);
  try {
    return { key: text.slice(0, eq), value: JSON.parse(raw) as never };
  } catch {
    // A bare word is a string: --variation blue=blue
    return { key: text.slice(0, eq), value: raw as never };
  }
}

function parseContext(pairs: string[]): Record<string, string | number | boolean> {
  const context: Record<string, string | number | boolean> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new RampartError("invalid_option", `--context ${pair}: expected attribute=value, e.g. userId=42`);
    const raw = pair.slice(eq + 1);
    context[pair.slice(0, eq)] =
      raw === "true" ? true : raw === "false" ? false : raw !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return context;
}

function readJson(value: string, option: string): unknown {
  let text = value;
  if (value.startsWith("@")) {
    try {
      text = readFileSync(value.slice(1), "utf8");
    } catch (error) {
      throw new RampartError(
        "invalid_option",
        `${option} ${value}: cannot read ${value.slice(1)} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        {
          hint: `give the path of a JSON file after @, or the JSON itself: ${option} '[...]'`,
        },
      );
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new RampartError("invalid_option", `${option}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}
