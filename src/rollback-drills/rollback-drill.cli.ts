import type { Command } from "commander";
import { clientFor, printJson, type GlobalOptions } from "../cli/cli-context.ts";
import { positiveIntOption } from "../cli/cli-usage.ts";
import type { ApiClient } from "../client/api-client.ts";
import type { RollbackDrill } from "./rollback-drill.types.ts";

/** Exit status of a drill that ran and failed (1 stays "the command failed"). */
export const EXIT_DRILL_FAILED = 4;

/** A drill deploys and rolls back: under a canary with long pauses it can take a while. */
const FOLLOW_TIMEOUT_MS = 30 * 60_000;

interface DrillOptions extends GlobalOptions {
  env: string;
  rate?: number;
  allowProduction?: boolean;
  history?: boolean;
  json?: boolean;
}

export function registerRollbackDrillCommands(program: Command, globals: () => GlobalOptions): void {
  const drill = program.command("drill").description("practise what you will need when something is on fire");
  drill
    .command("rollback <app>")
    .description(
      "under light paced load through the edge, deploy the live artifact again, roll back, and measure the time to the previous release serving every request and the requests failed; exits 4 when the drill fails",
    )
    .requiredOption("--env <env>", "the environment (a protected one needs --allow-production)")
    .option("--rate <n>", "requests per second of the load (default 20)", positiveIntOption)
    .option("--allow-production", "allow a protected environment (permission drill.protected, audited)")
    .option("--history", "list the app's drills in the environment instead of running one")
    .option("--json", "print JSON")
    .action(async (app: string, options: DrillOptions) => {
      const opts = { ...globals(), ...options };
      const client = clientFor(opts);
      if (options.history) {
        const drills = await client.rollbackDrills(options.env, app);
        if (opts.json) return printJson({ drills });
        process.stdout.write(historyTable(drills));
        return;
      }
      const started = await client.startRollbackDrill(
        options.env,
        app,
        options.rate === undefined ? {} : { rate: options.rate },
        options.allowProduction === true,
      );
      const finished = await follow(client, started, process.stderr.isTTY === true && !opts.json);
      if (finished.status !== "passed") process.exitCode = EXIT_DRILL_FAILED;
      if (opts.json) return printJson(finished);
      process.stdout.write(report(finished));
      if (finished.status !== "passed") process.stderr.write(`error: the drill failed: ${finished.error ?? "no reason recorded"}\n`);
    });
}

async function follow(client: ApiClient, drill: RollbackDrill, tty: boolean): Promise<RollbackDrill> {
  const deadline = Date.now() + FOLLOW_TIMEOUT_MS;
  let phase = "";
  for (;;) {
    const current = await client.rollbackDrill(drill.env, drill.app, drill.id);
    if (tty && current.phase !== phase) process.stderr.write(`${((phase = current.phase)).replace("_", " ")}…\n`);
    if (current.status !== "running") return current;
    if (Date.now() > deadline)
      throw new Error(
        `drill ${drill.id} still runs after ${FOLLOW_TIMEOUT_MS / 60_000} min; it goes on in the control plane (rampart drill rollback ${drill.app} --env ${drill.env} --history)`,
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const seconds = (ms: number | null) => (ms === null ? "—" : ms < 10_000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

export function report(d: RollbackDrill): string {
  const r = d.result;
  const lines = [`rollback drill ${d.id} of ${d.app} in ${d.env}: ${d.status}${d.error ? ` (${d.error})` : ""}`];
  if (r) {
    lines.push(
      `  deployed release ${r.deployedRelease ?? "—"} (the artifact of live release ${r.previousRelease}) in ${seconds(r.deployMs)}`,
      `  rolled back to release ${r.rollbackRelease ?? "—"}: serving 100% of requests ${seconds(r.rollbackMs)} after the rollback command; release ${r.deployedRelease ?? "—"} drained after ${seconds(r.drainedMs)}`,
      `  load: ${r.rate}/s through ${r.url}: ${r.sent} sent, ${r.failed} failed`,
      `  served after the switch (edge counts): ${
        Object.entries(r.servedAfterSwitch)
          .map(([release, n]) => `release ${release}: ${n}`)
          .join(", ") || "none counted"
      }`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function historyTable(drills: RollbackDrill[]): string {
  if (drills.length === 0) return "no rollback drills yet\n";
  const rows = drills.map((d) => [
    new Date(d.startedAt).toISOString(),
    d.id,
    d.trigger,
    d.actor,
    d.status === "running" ? `running (${d.phase})` : d.status,
    seconds(d.result?.rollbackMs ?? null),
    d.result ? `${d.result.failed}/${d.result.sent}` : "—",
  ]);
  const header = ["STARTED", "ID", "TRIGGER", "ACTOR", "STATUS", "TO 100%", "FAILED"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return `${[header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}
