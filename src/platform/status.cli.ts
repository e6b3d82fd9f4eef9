import type { Command } from "commander";
import { ago, clientFor, printJson, printTable, type GlobalOptions } from "../cli/cli-context.ts";

export function registerStatusCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command("status")
    .description("every environment and app: live release, rollout in progress, instances")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions) => {
      const opts = { ...globals(), ...options };
      const status = await clientFor(opts).status();
      if (opts.json) return printJson(status);
      process.stdout.write(
        `project ${status.project} · control plane pid ${status.controlPlane.pid} · edge pid ${status.edge.pid ?? "-"}\n`,
      );
      for (const env of status.environments) {
        process.stdout.write(
          `\n${env.name}${env.protected ? " (protected)" : ""}  ${env.url}${env.listening ? "" : `  NOT LISTENING on ${env.bind}:${env.port}: ${env.error} (the edge tries again every 2 s: free the port)`}\n`,
        );
        const rows = env.apps.flatMap((app) => {
          const head = [app.name, app.live === null ? "-" : String(app.live), app.deploying === null ? "" : `→ ${app.deploying}`];
          if (app.instances.length === 0) return [[...head, "-", "", "", "", "", ""]];
          return app.instances.map((i, n) => [
            ...(n === 0 ? head : ["", "", ""]),
            i.id,
            String(i.release),
            String(i.pid ?? "-"),
            String(i.port),
            i.health + (i.routable ? "" : " (no traffic)") + (i.lastProbe && i.health !== "healthy" ? `: ${i.lastProbe}` : ""),
            `${i.restarts} · ${ago(i.startedAt)}`,
          ]);
        });
        printTable(["APP", "LIVE", "DEPLOYING", "INSTANCE", "RELEASE", "PID", "PORT", "HEALTH", "RESTARTS · STARTED"], rows);
      }
      if (status.leftovers.length > 0) {
        process.stdout.write("\nstill running, but no longer in rampart.yaml (not served; `rampart up --yes` stops them):\n");
        for (const l of status.leftovers)
          process.stdout.write(
            `  ${l.app} in ${l.env} (${l.removed} removed): ${l.instances.map((i) => `${i.id} pid ${i.pid ?? "-"}`).join(", ")}\n`,
          );
      }
    });
}
