import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ApiClient } from "../client/api-client.ts";
import { MAX_WINDOW_MS, parseDuration } from "../config/units.ts";
import type { TlsTrust } from "../client/tls-trust.ts";
import { type Credentials, readCredentials } from "../daemon/credentials.ts";
import { errorMessage, RampartError } from "../shared/errors.ts";
import { currentContext } from "./contexts.store.ts";

export interface GlobalOptions {
  data?: string;
  api?: string;
  json?: boolean;
  /** A CA or certificate file (PEM) to trust for the API's TLS. */
  ca?: string;
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

/**
 * The API address, token and TLS trust, in this order: `--api`/RAMPART_API and RAMPART_TOKEN; then the project's
 * data dir credentials when its `rampart up` is running (or no context exists); then the current CLI context
 * (`rampart login`). Works from any directory once logged in.
 */
export function clientFor(options: GlobalOptions): ApiClient {
  const dataDir = dataDirOf(options);
  const credentials = readCredentials(dataDir);
  const context = currentContext();
  const givenApi = options.api || process.env.RAMPART_API;
  const envToken = process.env.RAMPART_TOKEN;
  const local = credentials !== null && (isRunning(credentials.pid) || context === null);
  // Found through the data dir, the API may move when `rampart up` restarts: a followed stream looks again.
  const locate = () => mapDefined(readCredentials(dataDir)?.api, url);
  let source: { api: string; token: string | undefined; tls: TlsTrust | undefined; locate?: () => string | undefined };
  if (givenApi !== undefined && givenApi !== "") {
    // An explicit address: its token from RAMPART_TOKEN, else from whichever of ours points there.
    const fromContext = context !== null && sameApi(context.api, givenApi) ? context : null;
    const token = envToken || (local && credentials ? credentials.token : undefined) || fromContext?.token || credentials?.token;
    const fromLocal = credentials !== null && sameApi(credentials.api, givenApi) ? credentials : null;
    source = { api: givenApi, token, tls: fromContext?.ca ? { ca: fromContext.ca } : localTrust(fromLocal) };
  } else if (local && credentials) {
    source = { api: credentials.api, token: envToken || credentials.token, tls: localTrust(credentials), locate };
  } else if (context !== null) {
    source = { api: context.api, token: envToken || context.token, tls: context.ca ? { ca: context.ca } : undefined };
  } else {
    source = { api: "127.0.0.1:7700", token: envToken, tls: undefined };
  }
  if (!source.token) {
    throw new RampartError(
      "no_credentials",
      `no API token: ${dataDir}/credentials.json does not exist, RAMPART_TOKEN is not set and no context is current`,
      {
        hint: noCredentialsHint(options),
      },
    );
  }
  const tls = caFileTrust(options) ?? source.tls;
  return new ApiClient({ baseUrl: url(source.api), token: source.token, tls, ...(source.locate ? { locate: source.locate } : {}) });
}

function url(address: string): string {
  return address.startsWith("http") ? address : `http://${address}`;
}

function sameApi(a: string, b: string): boolean {
  return url(a).replace(/\/$/, "") === url(b).replace(/\/$/, "");
}

/** `--ca FILE` or RAMPART_CA_FILE: a CA (or self-signed certificate) to trust for this command. */
export function caFileTrust(options: GlobalOptions): TlsTrust | undefined {
  const file = options.ca || process.env.RAMPART_CA_FILE;
  if (!file) return undefined;
  try {
    return { ca: readFileSync(resolve(file), "utf8") };
  } catch (error) {
    throw new RampartError("invalid_option", `--ca / RAMPART_CA_FILE: cannot read ${resolve(file)} (${errorMessage(error)})`, {
      hint: "give the PEM file of the CA that signed the API's certificate (or the self-signed certificate itself)",
    });
  }
}

/** The certificate the local `rampart up` serves, pinned (see Credentials.certFile); unreadable: none. */
function localTrust(credentials: Credentials | null): TlsTrust | undefined {
  if (!credentials?.certFile) return undefined;
  try {
    return { ca: readFileSync(credentials.certFile, "utf8"), pinned: true };
  } catch {
    return undefined;
  }
}

function isRunning(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function mapDefined<T, U>(value: T | undefined, f: (value: T) => U): U | undefined {
  return value === undefined ? undefined : f(value);
}

function noCredentialsHint(options: GlobalOptions): string {
  if (options.api || process.env.RAMPART_API) return "log in to that API: rampart login URL (or set RAMPART_TOKEN)";
  if (options.data || process.env.RAMPART_DATA) return "start the platform with `rampart up` (or pass --data DIR where it runs)";
  const project = findProjectDir();
  if (project !== null) return `start the platform with \`rampart up\` in ${project} (or pass --data DIR where it runs)`;
  return `no project here: log in to a Rampart API with \`rampart login https://HOST:7700\`, or run this in your project's folder (none of ${process.cwd()} and its parents has rampart.yaml or .rampart/), or pass --data DIR`;
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
