import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { ago, clientFor, printJson, printTable, progress, type GlobalOptions } from "../cli/cli-context.ts";
import { positiveIntOption } from "../cli/cli-usage.ts";
import { printProgress, waitForRelease } from "../releases/release-wait.ts";
import { releaseFailed } from "../releases/release.cli.ts";
import { RampartError } from "../shared/errors.ts";
import type { SecretChange } from "./secret.service.ts";

type EnvOptions = GlobalOptions & { env: string; json?: boolean };
const WAIT_TIMEOUT_MS = 30 * 60_000;

export function registerSecretCommands(program: Command, globals: () => GlobalOptions): void {
  const secrets = program.command("secrets").description("encrypted, versioned secrets per app and environment; a change is a release");

  secrets
    .command("set <app> <key> [value]")
    .description("set a secret from standard input or --from-file (never from the command line); rolls out as a release")
    .requiredOption("--env <env>", "environment")
    .option("--from-file <file>", "read the value from this file (kept byte for byte)")
    .option("--wait", "block until the release it creates is live (exit 0) or failed (exit 1)")
    .option("--json", "print JSON")
    .action(async (app: string, key: string, value: string | undefined, options: EnvOptions & { fromFile?: string; wait?: boolean }) => {
      if (value !== undefined) {
        throw new RampartError(
          "secret_value_in_argv",
          "refusing a secret's value given on the command line: your shell history and `ps` would keep it",
          { hint: `pipe it instead: rampart secrets set ${app} ${key} --env ${options.env} < FILE (or --from-file FILE)` },
        );
      }
      const opts = { ...globals(), ...options };
      const secret = options.fromFile !== undefined ? readFileSync(options.fromFile, "utf8") : await readStdin(app, key, options.env);
      const change = await clientFor(opts).setSecret(options.env, app, key, secret);
      await report(opts, change);
    });

  secrets
    .command("unset <app> <key>")
    .description("unset a secret (a tombstone version; history keeps the earlier ones); rolls out as a release")
    .requiredOption("--env <env>", "environment")
    .option("--wait", "block until the release it creates is live (exit 0) or failed (exit 1)")
    .option("--json", "print JSON")
    .action(async (app: string, key: string, options: EnvOptions & { wait?: boolean }) => {
      const opts = { ...globals(), ...options };
      await report(opts, await clientFor(opts).unsetSecret(options.env, app, key));
    });

  secrets
    .command("list <app>")
    .description("names, versions, who set them and when (never values)")
    .requiredOption("--env <env>", "environment")
    .option("--json", "print JSON")
    .action(async (app: string, options: EnvOptions) => {
      const opts = { ...globals(), ...options };
      const list = await clientFor(opts).secrets(options.env, app);
      if (opts.json) return printJson({ secrets: list });
      if (list.length === 0)
        return void process.stdout.write(
          `no secrets for ${app} in ${options.env}; set one: rampart secrets set ${app} KEY --env ${options.env} < FILE\n`,
        );
      printTable(
        ["NAME", "VERSION", "SET BY", "SET", "REQUIRED"],
        list.map((s) => [s.name, String(s.version), s.setBy, ago(s.setAt), s.required ? "yes" : "-"]),
      );
    });

  secrets
    .command("history <app> <key>")
    .description("every version of a secret: set or unset, by whom, when")
    .requiredOption("--env <env>", "environment")
    .option("--json", "print JSON")
    .action(async (app: string, key: string, options: EnvOptions) => {
      const opts = { ...globals(), ...options };
      const versions = await clientFor(opts).secretHistory(options.env, app, key);
      if (opts.json) return printJson({ versions });
      printTable(
        ["VERSION", "STATE", "BY", "WHEN"],
        versions.map((v) => [String(v.version), v.state, v.by, ago(v.at)]),
      );
    });

  secrets
    .command("reveal <app> <key>")
    .description("print a secret's value (permission secrets.reveal; recorded as secret.revealed)")
    .requiredOption("--env <env>", "environment")
    .option("--version <n>", "an older version", positiveIntOption)
    .option("--json", "print JSON")
    .action(async (app: string, key: string, options: EnvOptions & { version?: number }) => {
      const opts = { ...globals(), ...options };
      const revealed = await clientFor(opts).revealSecret(options.env, app, key, options.version);
      if (opts.json) return printJson(revealed);
      progress(`${key} version ${revealed.version} (this reveal is recorded)`);
      process.stdout.write(revealed.value);
      if (process.stdout.isTTY) process.stdout.write("\n");
    });

  secrets
    .command("diff <env1> <env2>")
    .description("secret names set in one environment and not the other, with versions")
    .option("--app <app>", "only this app")
    .option("--json", "print JSON")
    .action(async (a: string, b: string, options: GlobalOptions & { app?: string; json?: boolean }) => {
      const opts = { ...globals(), ...options };
      const diff = await clientFor(opts).secretsDiff(a, b, options.app);
      if (opts.json) return printJson(diff);
      if (diff.entries.length === 0) return void process.stdout.write(`no secrets in ${a} or ${b}\n`);
      const v = (n: number | null) => (n === null ? "MISSING" : `v${n}`);
      printTable(
        ["APP", "NAME", a.toUpperCase(), b.toUpperCase()],
        diff.entries.map((e) => [e.app, e.name, v(e.a), v(e.b)]),
      );
      const missing = diff.entries.filter((e) => e.a === null || e.b === null).length;
      process.stdout.write(`${missing === 0 ? "the same names in both" : `${missing} name(s) set in only one of them`}\n`);
    });

  secrets
    .command("rotate-key")
    .description("rewrap every environment's data key under a new key-encryption key (on the machine running rampart up)")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions & { json?: boolean }) => {
      const opts = { ...globals(), ...options };
      const rotated = await clientFor(opts).rotateSecretsKey();
      if (opts.json) return printJson(rotated);
      process.stdout.write(
        `secrets key rotated: ${rotated.from} → ${rotated.to}; data keys of ${rotated.environments.length} environment(s) rewrapped (${rotated.environments.join(", ") || "none yet"})\nback up the new key file now: the old one no longer opens anything\n`,
      );
    });
}

async function report(opts: GlobalOptions & { json?: boolean; wait?: boolean }, change: SecretChange): Promise<void> {
  const { secret, release } = change;
  const what = `secret ${secret.name} of ${secret.app} in ${secret.env} ${secret.state} (version ${secret.version})`;
  if (!release) {
    if (opts.json) return printJson(change);
    return void process.stdout.write(`${what}; ${secret.app} has no live release there yet: its next deploy carries it\n`);
  }
  if (!opts.wait) {
    if (opts.json) return printJson(change);
    return void process.stdout.write(
      `${what}; release ${release.number} rolling out (${release.strategy}; follow: rampart releases ${release.app} --env ${release.env})\n`,
    );
  }
  if (!opts.json) progress(`${what}; release ${release.number} rolling out (${release.strategy})`);
  const client = clientFor(opts);
  try {
    const live = await waitForRelease(client, release, WAIT_TIMEOUT_MS, opts.json ? undefined : printProgress);
    if (opts.json) return printJson({ ...change, release: live });
    process.stdout.write(`${what}; release ${live.number} is live\n`);
  } catch (error) {
    throw releaseFailed(error, release);
  }
}

/** Standard input up to its end; one trailing newline (from `echo` or a heredoc) is not part of the value. */
async function readStdin(app: string, key: string, env: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(`value of ${key} for ${app} in ${env} (not echoed to any log; end with Ctrl-D):\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  const text = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (text.length === 0)
    throw new RampartError("invalid_option", `no value for ${key} on standard input`, {
      hint: `rampart secrets set ${app} ${key} --env ${env} < FILE, or --from-file FILE`,
    });
  return text;
}
