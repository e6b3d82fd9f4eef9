import { execFile } from "node:child_process";
import { readlink, stat } from "node:fs/promises";
import { basename } from "node:path";

export interface ProcessRuntime {
  /** Where /proc/PID/exe points (" (deleted)" dropped: `replaced` says so). */
  binary: string;
  name: string;
  /** The interpreter's own answer to --version; null for a binary that is not a known interpreter. */
  version: string | null;
  /** The binary on disk was replaced or removed since the process started: it runs the old one. */
  replaced: boolean;
}

/** Runs a binary with arguments and returns what it printed (stdout, then stderr). */
export type VersionRunner = (file: string, args: readonly string[]) => Promise<string>;

/**
 * Only interpreters are asked their version: an app's own binary asked `--version` might start serving instead.
 * Java prints it on stderr with `-version`; perl's `--version` is a paragraph, `-e` prints just the version.
 */
const INTERPRETERS: readonly [RegExp, readonly string[]][] = [
  [/^(node|nodejs|bun|deno|ruby|php[0-9.]*|python[0-9.]*|pypy[0-9.]*|erl)$/, ["--version"]],
  [/^java$/, ["-version"]],
  [/^perl[0-9.]*$/, ["-e", "print $^V"]],
];

export const execVersion: VersionRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { timeout: 5_000, maxBuffer: 64 * 1024, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
      (_error, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
    );
  });

/**
 * The interpreter each app process actually runs, from /proc/PID/exe (not the manifest's `run`, which names
 * whatever `node` the PATH found at start). Versions are cached by the binary's path, inode and mtime, so an
 * interpreter upgraded in place is asked again while a compare of twenty instances runs it once.
 */
export class RuntimeProbe {
  readonly #run: VersionRunner;
  readonly #proc: string;
  readonly #cache = new Map<string, Promise<string | null>>();

  constructor(options: { run?: VersionRunner; proc?: string } = {}) {
    this.#run = options.run ?? execVersion;
    this.#proc = options.proc ?? "/proc";
  }

  async ofPid(pid: number): Promise<ProcessRuntime | null> {
    const exe = `${this.#proc}/${pid}/exe`;
    const [link, info] = await Promise.all([readlink(exe).catch(() => null), stat(exe).catch(() => null)]);
    if (link === null || info === null) return null;
    const replaced = link.endsWith(" (deleted)");
    const binary = replaced ? link.slice(0, -" (deleted)".length) : link;
    const name = basename(binary);
    const args = INTERPRETERS.find(([pattern]) => pattern.test(name))?.[1];
    if (!args) return { binary, name, version: null, replaced };
    const key = `${binary}\u0000${info.ino}\u0000${info.mtimeMs}`;
    let version = this.#cache.get(key);
    if (!version) {
      // A replaced binary is gone from its path; /proc/PID/exe still opens the one the process runs.
      version = this.#run(replaced ? exe : binary, args).then(firstLine);
      this.#cache.set(key, version);
    }
    return { binary, name, version: await version, replaced };
  }

  /** How many versions were asked for so far (each distinct binary once). */
  get asked(): number {
    return this.#cache.size;
  }
}

function firstLine(output: string): string | null {
  const line = output
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l !== "");
  return line === undefined ? null : line.slice(0, 200);
}
