import { Option, type Command } from "commander";
import { ago, clientFor, printJson, printTable, progress, type GlobalOptions } from "../cli/cli-context.ts";
import { positiveIntOption } from "../cli/cli-usage.ts";
import { RELEASE_STRATEGIES, type ReleaseStrategy } from "../config/resolved-manifest.schema.ts";
import { ApiError } from "../client/api-client.ts";
import { RampartError } from "../shared/errors.ts";
import { buildLogCommand, short } from "./artifact.service.ts";
import { followBuild, printProgress, waitForRelease } from "./release-wait.ts";
import type { ReleaseView } from "./release.types.ts";
import { deploySource } from "./deploy-source.ts";
import { overrideIfAsked, type OverrideOptions, withOverrideOptions } from "../readiness/readiness.cli.ts";

interface DeployOptions extends GlobalOptions, OverrideOptions {
  env: string;
  source?: string;
  strategy?: string;
  wait?: boolean;
  timeout: string;
}

const WAIT_TIMEOUT_MS = 30 * 60_000;

export function registerReleaseCommands(program: Command, globals: () => GlobalOptions): void {
  withOverrideOptions(
    program
      .command("deploy <app>")
      .description("snapshot the app's source into an artifact, create the next release and roll it out")
      .requiredOption("--env <env>", "environment to deploy to")
      .option("--source <dir>", "directory to pack here and deploy, instead of the manifest's `source`")
      .addOption(new Option("--strategy <strategy>", "rollout strategy").choices(RELEASE_STRATEGIES))
      .option("--wait", "block until the release is live (exit 0) or failed (exit 1)")
      .option("--json", "print the release as JSON"),
  ).action(async (app: string, options: DeployOptions) => {
    const opts = { ...globals(), ...options };
    const strategy = options.strategy === undefined ? undefined : parseStrategy(options.strategy);
    const client = clientFor(opts);
    await overrideIfAsked(client, options.env, app, options);
    const source = await deploySource(client, app, options.env, opts);
    const release = await client.deploy(options.env, app, { ...source, strategy });
    await finish(
      client,
      release,
      opts,
      `deploying ${app} to ${options.env}: release ${release.number} (artifact ${short(release.artifact)})`,
    );
  });

  program
    .command("rollback <app>")
    .description("create a new release from an older release's artifact and config and roll it out")
    .requiredOption("--env <env>", "environment")
    .option("--to <number>", "release to return to (default: the one live before the current)", positiveIntOption)
    .option("--wait", "block until the release is live (exit 0) or failed (exit 1)")
    .option("--json", "print the release as JSON")
    .action(async (app: string, options: GlobalOptions & { env: string; to?: number; wait?: boolean }) => {
      const opts = { ...globals(), ...options };
      const client = clientFor(opts);
      const release = await client.rollback(options.env, app, { to: options.to });
      await finish(
        client,
        release,
        opts,
        `rolling ${app} in ${options.env} back to release ${release.rollbackOf} as release ${release.number}`,
      );
    });

  program
    .command("releases <app>")
    .description("list an app's releases in an environment, newest first")
    .requiredOption("--env <env>", "environment")
    .option("--json", "print JSON")
    .action(async (app: string, options: GlobalOptions & { env: string }) => {
      const opts = { ...globals(), ...options };
      const releases = await clientFor(opts).releases(options.env, app);
      if (opts.json) return printJson({ releases });
      if (releases.length === 0)
        return void process.stdout.write(
          `no releases of ${app} in ${options.env} yet; deploy one: rampart deploy ${app} --env ${options.env}\n`,
        );
      printTable(
        ["RELEASE", "STATUS", "ARTIFACT", "GIT", "BY", "CREATED", "NOTE"],
        releases.map((r) => [
          String(r.number),
          r.status,
          short(r.artifact),
          r.git ? `${r.git.commit.slice(0, 10)}${r.git.dirty ? "+" : ""}` : "-",
          r.createdBy,
          ago(r.createdAt),
          r.rollbackOf !== null ? `rollback to ${r.rollbackOf}` : ((r.reason ?? r.rollout?.message ?? "").split("\n")[0] ?? ""),
        ]),
      );
    });
}

async function finish(
  client: ReturnType<typeof clientFor>,
  release: ReleaseView,
  opts: GlobalOptions & { wait?: boolean },
  headline: string,
): Promise<void> {
  if (!opts.json) progress(headline);
  if (!opts.wait) {
    // The build's output streams to stderr in both modes: stdout keeps the result (--json stays one object).
    const built = await followBuild(client, release, printProgress);
    if (built.status === "failed") {
      if (opts.json) printJson(built);
      throw releaseFailed(new Error(`release ${built.number} failed: ${built.reason ?? "no reason recorded"}`), built);
    }
    if (opts.json) return printJson(release);
    process.stdout.write(
      `release ${release.number} of ${release.app} created in ${release.env}; rolling out (follow: rampart releases ${release.app} --env ${release.env})\n`,
    );
    const notListening = await edgeNotListening(client, release);
    if (notListening) progress(`warning: ${notListening.message}\nhint: ${notListening.hint}`);
    return;
  }
  let live: ReleaseView;
  try {
    live = await waitForRelease(client, release, WAIT_TIMEOUT_MS, opts.json ? undefined : printProgress, printProgress);
  } catch (error) {
    if (opts.json) printJson(await client.release(release.env, release.app, release.number));
    throw releaseFailed(error, release);
  }
  if (opts.json) printJson(live);
  else process.stdout.write(`release ${live.number} of ${live.app} is live in ${live.env} (${live.instances.length} instance(s))\n`);
  // Live in the store but unreachable is not a success: the exit code says so (a CI job must not go green).
  const notListening = await edgeNotListening(client, live);
  if (notListening) throw notListening;
}

/** The environment's port is not bound by the edge (another process holds it): the release is live but not served. */
async function edgeNotListening(client: ReturnType<typeof clientFor>, release: ReleaseView): Promise<RampartError | undefined> {
  // Best effort: a token that may deploy but not read status still gets its deploy's answer.
  const status = await client.status().catch(() => undefined);
  const env = status?.environments.find((e) => e.name === release.env);
  if (!env || env.listening) return undefined;
  return new RampartError(
    "edge_not_listening",
    `release ${release.number} of ${release.app} is live in ${release.env}, but ${release.env} is not served: the edge cannot listen on ${env.bind}:${env.port} (${env.error ?? "no reason reported"})`,
    {
      hint: `free port ${env.port} (ss -ltnp 'sport = :${env.port}' shows which process holds it); the edge binds it within 2 s by itself, no deploy needed: rampart status`,
    },
  );
}

/** A release that failed or was rolled back: the next step is to read why. */
export function releaseFailed(error: unknown, release: ReleaseView): unknown {
  if (!(error instanceof Error) || error instanceof RampartError || error instanceof ApiError) return error;
  const where = `${release.app} --env ${release.env}`;
  // A failed build: its last lines are in the message; the whole output is in the log index.
  if (/: build ".*" (exited|timed out)/.test(error.message.split("\n")[0] ?? ""))
    return new RampartError("build_failed", error.message, {
      hint: `the whole build output: ${buildLogCommand({ env: release.env, app: release.app, release: release.number })}`,
    });
  return new RampartError("release_failed", error.message, {
    hint: `the verdict and steps: rampart rollout ${where}; the app's output: rampart logs ${where} --since 15m`,
  });
}

function parseStrategy(value: string): ReleaseStrategy {
  const strategy = RELEASE_STRATEGIES.find((s) => s === value);
  if (!strategy) throw new RampartError("invalid_option", `--strategy: "${value}" is not one of ${RELEASE_STRATEGIES.join(", ")}`);
  return strategy;
}
