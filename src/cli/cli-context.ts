import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ApiClient } from "../client/api-client.ts";
import { MAX_WINDOW_MS, parseDuration } from "../config/units.ts";
import { readCredentials } from "../daemon/credentials.ts";
import { RampartError } from "../shared/errors.ts";

export interface GlobalOptions {
  data?: string;
  api?: string;
  json?: boolean;
}

/**
 * The project's folder, found as git finds a repository: the working directory or its nearest ancestor that holds
 * `rampart.yaml` or a `.rampart/` data dir. Null outside any project.
 */
export function findProjectDir(start = process.cwd()): string | null {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "rampart.yaml")) || isDirectory(join(dir, ".rampart"))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** `--data`, else RAMPART_DATA, else the project's `.rampart` (so a command run in a subfolder finds it), else ./.rampart. */
export function dataDirOf(options: GlobalOptions): string {
  const given = options.data || process.env.RAMPART_DATA;
  if (given) return resolve(given);
  return join(findProjectDir() ?? process.cwd(), ".rampart");
}

/** `--config`, else the project's `rampart.yaml` (found from a subfolder too), else ./rampart.yaml. */
export function manifestPathOf(config: string | undefined): string {
  return resolve(config ?? join(findProjectDir() ?? process.cwd(), "rampart.yaml"));
}

/** The API address and token: flags, then RAMPART_API / RAMPART_TOKEN, then the credentials file `rampart up` wrote. */
export function clientFor(options: GlobalOptions): ApiClient {
  const credentials = readCredentials(dataDirOf(options));
  const api = options.api || process.env.RAMPART_API || credentials?.api || "127.0.0.1:7700";
  const token = process.env.RAMPART_TOKEN || credentials?.token;
  if (!token) {
    throw new RampartError(
      "no_credentials",
      `no API token: ${dataDirOf(options)}/credentials.json does not exist and RAMPART_TOKEN is not set`,
      {
        hint: noCredentialsHint(options),
      },
    );
  }
  const url = (address: string) => (address.startsWith("http") ? address : `http://${address}`);
  // Found through the data dir, the API may move when `rampart up` restarts: a followed stream looks again.
  const fromDataDir = options.api === undefined && !process.env.RAMPART_API;
  const locate = fromDataDir ? () => mapDefined(readCredentials(dataDirOf(options))?.api, url) : undefined;
  return new ApiClient({ baseUrl: url(api), token, locate });
}

function mapDefined<T, U>(value: T | undefined, f: (value: T) => U): U | undefined {
  return value === undefined ? undefined : f(value);
}

function noCredentialsHint(options: GlobalOptions): string {
  if (options.data || process.env.RAMPART_DATA) return "start the platform with `rampart up` (or pass --data DIR where it runs)";
  const project = findProjectDir();
  if (project !== null) return `start the platform with \`rampart up\` in ${project} (or pass --data DIR where it runs)`;
  return `no project here: run this in your project's folder (none of ${process.cwd()} and its parents has rampart.yaml or .rampart/), or pass --data DIR`;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Left-aligned columns, two spaces apart. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  process.stdout.write(`${[line(headers), ...rows.map(line)].join("\n")}\n`);
}

/** `--since 5m` → epoch ms. */
export function sinceToEpoch(since: string | undefined, now = Date.now()): number | undefined {
  if (since === undefined) return undefined;
  const parsed = parseDuration(since, { maxMs: MAX_WINDOW_MS });
  if (!parsed.ok) throw new RampartError("invalid_option", `--since: ${parsed.message}`, { hint: "e.g. --since 30s, 5m, 1h or 7d" });
  return now - parsed.value;
}

export function ago(epochMs: number | null, now = Date.now()): string {
  if (epochMs === null) return "-";
  const s = Math.max(0, Math.round((now - epochMs) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** Progress goes to stderr and only on a terminal, so pipes and --json stay clean. */
export function progress(line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`${line}\n`);
}
