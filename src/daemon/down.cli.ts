import type { Command } from "commander";
import { clientFor, progress, type GlobalOptions } from "../cli/cli-context.ts";
import { canAsk, confirm } from "../cli/confirm.ts";
import { ApiError } from "../client/api-client.ts";
import type { PlatformStatus } from "../platform/status.types.ts";
import { RampartError } from "../shared/errors.ts";
import { waitFor } from "../shared/wait.ts";

interface DownOptions {
  env?: string;
  yes?: boolean;
}

export function registerDownCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command("down")
    .description("drain and stop every instance, the edge and the control plane; with --env, only that environment's instances")
    .option("--env <env>", "stop only this environment's instances: the edge, the control plane and the other environments keep running")
    .option("--yes", "stop a protected environment without asking (needed where there is no terminal to ask on)")
    .action(async (options: DownOptions) => {
      const client = clientFor(globals());
      const status = await client.status();
      const names = status.environments.map((e) => e.name);
      if (options.env !== undefined && !names.includes(options.env)) {
        throw new RampartError("invalid_option", `--env: "${options.env}" is not an environment of ${status.project}`, {
          hint: `environments: ${names.join(", ")}`,
        });
      }
      if (!options.yes) await confirmProtected(status, options.env);
      if (options.env !== undefined) {
        const { stopped } = await client.stopEnvironment(options.env);
        process.stdout.write(
          `${options.env} is down: ${stopped.length} instance(s) drained and stopped; the edge and the control plane keep serving ${names.filter((n) => n !== options.env).join(", ") || "nothing else"}\n`,
        );
        return;
      }
      await client.shutdown(true);
      progress("draining instances and stopping the edge…");
      await waitFor(
        async () => {
          try {
            await client.health();
            return undefined;
          } catch (error) {
            return error instanceof ApiError && error.code === "unreachable" ? true : undefined;
          }
        },
        { timeoutMs: 120_000, intervalMs: 200 },
      );
      process.stdout.write("rampart is down\n");
    });
}

/** A protected environment (production) stops only after a yes: asked on a terminal, `--yes` anywhere else. */
async function confirmProtected(status: PlatformStatus, env: string | undefined): Promise<void> {
  const protectedEnvs = status.environments.filter((e) => e.protected && (env === undefined || e.name === env));
  if (protectedEnvs.length === 0) return;
  const what = protectedEnvs
    .map((e) => {
      const running = e.apps.flatMap((a) => a.instances).filter((i) => i.health !== "stopped").length;
      return `${e.name} (${running} instance(s), ${e.url})`;
    })
    .join(" and ");
  const command = env === undefined ? "rampart down" : `rampart down --env ${env}`;
  const others = status.environments.filter((e) => !e.protected).map((e) => e.name);
  if (!canAsk()) {
    throw new RampartError(
      "confirmation_required",
      `${command} would stop the protected environment ${what}; there is no terminal to ask on`,
      {
        hint: `confirm with ${command} --yes${others[0] !== undefined ? `, or stop only another environment: rampart down --env ${others[0]}` : ""}`,
      },
    );
  }
  if (!(await confirm(`Stop the protected environment ${what}?`))) {
    throw new RampartError("not_confirmed", "nothing was stopped: not confirmed", {
      hint: `answer y to stop it, or pass --yes: ${command} --yes`,
    });
  }
}
