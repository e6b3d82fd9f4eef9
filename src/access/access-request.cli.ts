import { type Command, InvalidArgumentError, Option } from "commander";
import { ago, clientFor, type GlobalOptions, printJson, printTable, sinceToEpoch } from "../cli/cli-context.ts";
import { durationOption, positiveIntOption } from "../cli/cli-usage.ts";
import { formatDuration, parseDuration } from "../config/units.ts";
import type { AccessRequestView } from "./access-request.types.ts";
import { roles } from "./permissions.ts";

type Opts = GlobalOptions & { reason?: string; for?: string; env?: string; role?: string; all?: boolean; since?: string };

/** `--for 1h` → milliseconds (at most a day here; the policy's max_duration is the real limit, checked by the API). */
function forOption(value: string): string {
  const parsed = parseDuration(value, { maxMs: 7 * 86_400_000 });
  if (!parsed.ok || parsed.value <= 0) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a duration, e.g. 30m or 1h`);
  return value;
}

function ms(value: string): number {
  const parsed = parseDuration(value);
  return parsed.ok ? parsed.value : 0;
}

export function registerAccessCommands(program: Command, globals: () => GlobalOptions): void {
  const access = program.command("access").description("just-in-time access: ask for a role for a while, approve, revoke, break-glass");
  const opts = (o: Opts): Opts => ({ ...globals(), ...o });

  access
    .command("request")
    .description("ask for a role in an environment for a while; someone else the policy names approves")
    .addOption(new Option("--role <role>", "the role you need").choices(roles).makeOptionMandatory())
    .requiredOption("--env <env>", "the environment")
    .requiredOption("--for <duration>", "how long, e.g. 1h (the policy's max_duration caps it)", forOption)
    .requiredOption("--reason <text>", "what you need it for (recorded, shown to approvers)")
    .option("--json", "print JSON")
    .action(async (options: Opts) => {
      const o = opts(options);
      const r = await clientFor(o).requestAccess({
        role: o.role as (typeof roles)[number],
        env: o.env ?? "",
        durationMs: ms(o.for ?? ""),
        reason: o.reason ?? "",
      });
      if (o.json) return printJson(r);
      process.stdout.write(
        `access request ${r.id}: ${r.role} in ${r.env} for ${formatDuration(r.durationMs)}, pending (${r.approvalsNeeded} approval${r.approvalsNeeded === 1 ? "" : "s"} needed, expires unanswered ${new Date(r.pendingUntil).toISOString()})\n` +
          `an approver runs: rampart access approve ${r.id}\n`,
      );
    });

  for (const verb of ["approve", "deny"] as const) {
    access
      .command(verb)
      .argument("<id>", "the access request's number (rampart access list)", positiveIntOption)
      .description(verb === "approve" ? "approve someone else's access request" : "deny an access request")
      .option("--reason <text>", "why (recorded in the event)")
      .option("--json", "print JSON")
      .action(async (id: number, options: Opts) => {
        const o = opts(options);
        const client = clientFor(o);
        const { env } = await client.accessRequest(id);
        const r = await client.reviewAccessRequest(env, id, verb, o.reason);
        if (o.json) return printJson(r);
        const approvals = r.reviews.filter((x) => x.decision === "approve").length;
        const what =
          r.state === "approved"
            ? `approved: ${r.requester} holds ${r.role} in ${r.env} until ${new Date(r.until ?? 0).toISOString()}`
            : r.state === "pending"
              ? `approval recorded (${approvals} of ${r.approvalsNeeded}); still pending`
              : r.state;
        process.stdout.write(`access request ${r.id}: ${what}\n`);
      });
  }

  access
    .command("list")
    .description("your access requests and those waiting for your review")
    .option("--all", "every request (approvers only)")
    .option("--json", "print JSON")
    .action(async (options: Opts) => {
      const o = opts(options);
      const requests = await clientFor(o).accessRequests({ all: o.all });
      if (o.json) return printJson({ requests });
      printRequests(requests);
    });

  access
    .command("revoke")
    .argument("<id>", "the access request's number", positiveIntOption)
    .description("end a grant now, or withdraw a pending request (its requester or an approver)")
    .option("--json", "print JSON")
    .action(async (id: number, options: Opts) => {
      const o = opts(options);
      const client = clientFor(o);
      const { env } = await client.accessRequest(id);
      const r = await client.revokeAccessRequest(env, id);
      if (o.json) return printJson(r);
      process.stdout.write(`access request ${r.id}: revoked (${r.requester}'s ${r.role} in ${r.env})\n`);
    });

  access
    .command("break-glass")
    .description("take the break-glass role at once, without approval, for a short time: recorded at critical level and reviewed")
    .requiredOption("--env <env>", "the environment")
    .requiredOption("--reason <text>", "the emergency (recorded and reviewed)")
    .option("--for <duration>", "how long (access.break_glass.max_duration caps it; 1h by default)", forOption)
    .option("--json", "print JSON")
    .action(async (options: Opts) => {
      const o = opts(options);
      const r = await clientFor(o).breakGlass({
        env: o.env ?? "",
        reason: o.reason ?? "",
        durationMs: o.for === undefined ? undefined : ms(o.for),
      });
      if (o.json) return printJson(r);
      process.stderr.write(
        [
          "!!! BREAK-GLASS !!!",
          `You now hold ${r.role} in ${r.env} until ${new Date(r.until ?? 0).toISOString()} WITHOUT APPROVAL.`,
          "This is recorded at critical level, pages on-call, and will be reviewed (rampart access review).",
          `End it as soon as you are done: rampart access revoke ${r.id}`,
          "",
        ].join("\n"),
      );
      process.stdout.write(`access request ${r.id}: break-glass ${r.role} in ${r.env} until ${new Date(r.until ?? 0).toISOString()}\n`);
    });

  access
    .command("review")
    .description("break-glass grants, for the review afterwards")
    .option("--since <duration>", "only the last DURATION, e.g. 7d", durationOption, "30d")
    .option("--json", "print JSON")
    .action(async (options: Opts) => {
      const o = opts(options);
      const requests = await clientFor(o).breakGlassReview(sinceToEpoch(o.since));
      if (o.json) return printJson({ requests });
      printRequests(requests);
    });
}

function printRequests(requests: AccessRequestView[]): void {
  if (requests.length === 0) return void process.stdout.write("no access requests\n");
  printTable(
    ["ID", "WHO", "ROLE", "ENV", "FOR", "STATE", "ASKED", "UNTIL", "REASON"],
    requests.map((r) => [
      String(r.id),
      r.requester,
      r.role,
      r.env,
      formatDuration(r.durationMs),
      state(r),
      ago(r.createdAt),
      r.until === null ? "-" : new Date(r.until).toISOString(),
      r.reason,
    ]),
  );
}

function state(r: AccessRequestView): string {
  if (r.breakGlass) return `${r.state} (break-glass)`;
  if (r.state === "pending") return `pending ${r.reviews.filter((x) => x.decision === "approve").length}/${r.approvalsNeeded}`;
  if (r.state === "revoked" && r.revokedBy) return `revoked by ${r.revokedBy}`;
  const denied = r.reviews.find((x) => x.decision === "deny");
  return r.state === "denied" && denied ? `denied by ${denied.by}` : r.state;
}
