import { type Command, type CommanderError, InvalidArgumentError } from "commander";
import { ApiError } from "../client/api-client.ts";
import { MAX_WINDOW_MS, parseDuration } from "../config/units.ts";
import { ManifestError } from "../config/manifest-error.ts";
import { RampartError } from "../shared/errors.ts";

/**
 * docs/cli.md's exit codes: 0 success, 1 failure, 2 bad usage (unknown option, missing argument, invalid value);
 * every failure prints `error: …` and a `hint:` line with what to run next.
 */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

// Codes of errors that mean "the command was called wrongly": from the CLI's own checks, from the API's validation
// of a request the CLI built from its options, and a protected environment stopped without --yes and no terminal.
const USAGE_CODES = new Set(["invalid_option", "invalid_request", "confirmation_required"]);

/** A commander error carrying the command it came from, so the hint can name that command's --help. */
class UsageError extends Error {
  readonly commander: CommanderError;
  readonly command: string;
  constructor(commander: CommanderError, command: string) {
    super(commander.message);
    this.commander = commander;
    this.command = command;
  }
}

/** `rampart flags rollout` for the flags rollout subcommand. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

function helpHint(command: string): string {
  return `run \`${command} --help\` for its options and arguments`;
}

/**
 * After every command is registered: commander's own usage errors (unknown option or command, missing argument,
 * invalid value) remember their command, and the help also lists the global options (`up --help` shows --data).
 */
export function installUsageHandling(program: Command): void {
  const visit = (command: Command) => {
    const path = commandPath(command);
    command.exitOverride((error) => {
      throw new UsageError(error, path);
    });
    command.configureHelp({ showGlobalOptions: true });
    for (const sub of command.commands) visit(sub);
  };
  visit(program);
}

/** The command being run, for hints of errors thrown by its action (set by a preAction hook in main). */
let currentCommand = "rampart";
export function setCurrentCommand(command: Command): void {
  currentCommand = commandPath(command);
}

/** Prints an error as `error: message` plus a `hint:` line, and sets the exit code (2 for bad usage, else 1). */
export function reportError(error: unknown): void {
  if (error instanceof UsageError) {
    // Commander printed `error: …` already; help and --version end here too, with exit code 0.
    if (error.commander.exitCode === 0) return void (process.exitCode = 0);
    // A command group run without its subcommand: commander printed the group's help.
    if (error.commander.code === "commander.help") process.stderr.write(`error: \`${error.command}\` needs one of the commands above\n`);
    process.stderr.write(`hint: ${helpHint(error.command)}\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  if (error instanceof ManifestError) {
    const first = error.issues[0];
    const hint = first?.message.startsWith("not found")
      ? "run this in your project's folder (or a subfolder), pass --config FILE, or write a starter with `rampart init`"
      : `fix ${first?.file ?? "rampart.yaml"} as above, then run the command again`;
    process.stderr.write(`${error.message}\nhint: ${hint}\n`);
    process.exitCode = EXIT_FAILURE;
    return;
  }
  const known = error instanceof ApiError || error instanceof RampartError;
  const code = known ? error.code : "";
  const usage = USAGE_CODES.has(code);
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.stderr.write(`hint: ${(known && error.hint) || fallbackHint(code, usage)}\n`);
  process.exitCode = usage ? EXIT_USAGE : EXIT_FAILURE;
}

function fallbackHint(code: string, usage: boolean): string {
  if (usage) return helpHint(currentCommand);
  if (code === "internal")
    return "this is a bug in Rampart: the control plane's output (where `rampart up` runs) has the details; please report it";
  if (code === "http_error") return "is --api (or RAMPART_API) the address of a Rampart control plane? `rampart status` checks it";
  return "`rampart status` shows the platform's state and `rampart events --since 10m` what happened lately";
}

/** Commander parser of a duration option (`--since 7d`): a bad one is bad usage, refused before any request. */
export function durationOption(value: string): string {
  const parsed = parseDuration(value, { maxMs: MAX_WINDOW_MS });
  if (parsed.ok) return value;
  throw new InvalidArgumentError(
    parsed.message.includes("too long") ? parsed.message : `${JSON.stringify(value)} is not a duration, e.g. 30s, 5m, 1h or 7d`,
  );
}

/** Commander parser of a count (`--limit 50`). */
export function positiveIntOption(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number above 0.");
  return n;
}
