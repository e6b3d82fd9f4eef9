import type { Command } from "commander";
import { dataDirOf, manifestPathOf, progress, type GlobalOptions } from "../cli/cli-context.ts";
import { canAsk, confirm } from "../cli/confirm.ts";
import { describeLeftover } from "../platform/leftovers.ts";
import { RampartError } from "../shared/errors.ts";
import { rampartVersion } from "../shared/version.ts";
import { registerDownCommand } from "./down.cli.ts";
import { startPlatform, type RunningPlatform } from "./platform.ts";

export interface UpOptions extends GlobalOptions {
  config?: string;
  yes?: boolean;
}

export function registerUpCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command("up")
    .description("run the platform in the foreground: control plane + API, the edge and your apps' instances")
    .option("--config <file>", "the project manifest (default: rampart.yaml here or in the nearest parent folder that has one)")
    .option("--yes", "stop, without asking, what still runs for environments and apps removed from rampart.yaml")
    .action(async (options: UpOptions) => {
      const opts = { ...globals(), ...options };
      const platform = await runUp(opts);
      await handleLeftovers(platform, opts);
      await printBanner(platform, opts);
      process.stdout.write(`\nCtrl-C stops the control plane; the edge and the apps keep serving. \`rampart down\` stops everything.\n`);
      await platform.stopped;
    });

  registerDownCommand(program, globals);
}

/** Starts the platform and stops it on SIGINT/SIGTERM (leaving the data plane serving). */
export async function runUp(options: UpOptions): Promise<RunningPlatform> {
  // Without --api or RAMPART_API, rampart.yaml's `api.listen` (else 127.0.0.1:7700) decides.
  const given = options.api || process.env.RAMPART_API;
  const address = given ? parseApiAddress(given) : undefined;
  const platform = await startPlatform({
    configPath: manifestPathOf(options.config),
    dataDir: dataDirOf(options),
    ...(address ? { apiHost: address[0], apiPort: address[1] } : {}),
  });
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`\n${signal}: stopping the control plane; the edge and instances keep serving`);
    void platform.stop(false);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  void platform.stopped.then(() => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  });
  return platform;
}

/**
 * Environments and apps removed from rampart.yaml whose instances still run are never left behind silently:
 * listed, and stopped with `--yes` or a yes on a terminal; otherwise they keep running and `status` lists them.
 */
export async function handleLeftovers(platform: RunningPlatform, options: UpOptions): Promise<void> {
  const leftovers = platform.leftovers();
  if (leftovers.length === 0) return;
  const lines = leftovers.map((l) => `  ${describeLeftover(l)}`);
  process.stderr.write(`Still running, but no longer in rampart.yaml (the edge does not serve them):\n${lines.join("\n")}\n`);
  const yes = options.yes === true || (canAsk() && (await confirm("Drain and stop them?")));
  if (!yes) {
    process.stderr.write(
      `They keep running (rampart status lists them). To stop them: rampart up --yes (after Ctrl-C), or put them back in rampart.yaml.\n`,
    );
    return;
  }
  const stopped = await platform.stopLeftovers("local");
  process.stderr.write(`stopped ${stopped.length} instance(s): ${stopped.join(", ")}\n`);
}

export async function printBanner(platform: RunningPlatform, options: GlobalOptions): Promise<void> {
  const status = await platform.status.status();
  const lines = [
    `Rampart ${rampartVersion} is up: project ${status.project} (${status.manifest})`,
    `  API         ${platform.credentials.api}  (token in ${dataDirOf(options)}/credentials.json)`,
    // The web console is served on the API's address (src/console); people log in with a password or single sign-on.
    `  Console     ${platform.credentials.api}/  (log in as a user: rampart user add NAME --password-stdin; docs/console.md)`,
  ];
  for (const env of status.environments) {
    const apps = env.apps.map((a) => `${a.name}: ${a.live === null ? "no release yet" : `release ${a.live}`}`).join(", ");
    lines.push(`  ${env.name.padEnd(11)} ${env.url}${env.listening ? "" : ` NOT LISTENING (${env.error})`}  ${apps}`);
  }
  const firstUndeployed = status.environments.flatMap((e) =>
    e.apps.filter((a) => a.live === null).map((a) => `rampart deploy ${a.name} --env ${e.name} --wait`),
  )[0];
  if (firstUndeployed) lines.push(`Next: ${firstUndeployed}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

function parseApiAddress(value: string): [string, number] {
  const match = /^(?:https?:\/\/)?(\[[^\]]+\]|[^:]+):(\d+)$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RampartError("invalid_option", `--api: "${value}" is not HOST:PORT, e.g. 127.0.0.1:7700`);
  }
  return [match[1]?.replace(/^\[|\]$/g, "") ?? "127.0.0.1", port];
}
