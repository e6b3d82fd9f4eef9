import { spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Readable } from "node:stream";
import type { Clock } from "../shared/clock.ts";
import { systemClock } from "../shared/clock.ts";

export { readBuildMarker, writeBuildMarker, isBuiltWith } from "./artifact-build-marker.ts";
export type { BuildMarker } from "./artifact-build-marker.ts";

/**
 * Runs an app's build command once inside an artifact's `src` copy. The build is a shell
 * command the user wrote (`npm ci --omit=dev`), so it runs in its own process group: a
 * timeout must kill the whole tree (npm → node → esbuild …), not just the shell.
 */

export interface BuildOptions {
  /** The artifact's `src` dir. */
  dir: string;
  command: string;
  /** Appended to, one `<ISO> <out|err> <text>` line per output line. */
  logPath: string;
  /** A second file the same lines go to as they come (the log pipeline's file for the build, which `rampart logs` reads). */
  teePath?: string;
  /** The complete environment of the build (not merged with process.env: include PATH). */
  env: Record<string, string | undefined>;
  timeoutMs: number;
  onLine?: (line: string, stream: "out" | "err") => void;
  clock?: Clock;
  /** After SIGTERM on timeout, how long before SIGKILL. Default 5 s. */
  killGraceMs?: number;
}

export interface BuildResult {
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** Last 20 output lines, stdout and stderr interleaved as they arrived. */
  tail: string[];
}

const TAIL_LINES = 20;
// A progress bar without newlines must not grow a line without bound.
const MAX_LINE = 64 * 1024;
// After the shell exits, how long leftover holders of its pipes get before we stop reading.
const PIPE_GRACE_MS = 2_000;

export async function runBuild(options: BuildOptions): Promise<BuildResult> {
  const clock = options.clock ?? systemClock;
  const info = await stat(options.dir).catch(() => null);
  if (!info?.isDirectory()) throw new Error(`build directory "${options.dir}" does not exist`);
  const logs = await Promise.all([options.logPath, options.teePath].filter((p) => p !== undefined).map(openLog));
  const tail: string[] = [];
  const emit = (text: string, stream: "out" | "err"): void => {
    const line = `${new Date(clock.now()).toISOString()} ${stream} ${text}\n`;
    for (const log of logs) log.write(line);
    tail.push(text);
    if (tail.length > TAIL_LINES) tail.shift();
    options.onLine?.(text, stream);
  };

  const started = clock.now();
  const child = spawn("/bin/sh", ["-c", options.command], {
    cwd: options.dir,
    env: options.env,
    detached: true, // own process group, so -pid reaches every descendant
    stdio: ["ignore", "pipe", "pipe"],
  });
  const flushOut = readLines(child.stdout, (line) => emit(line, "out"));
  const flushErr = readLines(child.stderr, (line) => emit(line, "err"));

  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const timeout = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid, "SIGTERM");
    killTimer = setTimeout(() => killGroup(child.pid, "SIGKILL"), options.killGraceMs ?? 5_000);
  }, options.timeoutMs);

  const outcome = await new Promise<{ code: number | null; signal: string | null; error?: Error }>((done) => {
    child.once("error", (error) => done({ code: null, signal: null, error }));
    child.once("exit", (code, signal) => done({ code, signal }));
  });
  clearTimeout(timeout);
  clearTimeout(killTimer);
  // The build is over: stragglers it left in its group (`server &`) would hold our pipes open.
  killGroup(child.pid, "SIGKILL");
  await waitForClose(child.stdout, child.stderr, PIPE_GRACE_MS);
  flushOut();
  flushErr();
  if (outcome.error) emit(`rampart: could not start the build: ${outcome.error.message}`, "err");
  if (timedOut) emit(`rampart: build timed out after ${options.timeoutMs} ms and was killed`, "err");
  await Promise.all(logs.map((log) => new Promise<void>((done) => log.end(done))));

  return {
    ok: outcome.code === 0 && !timedOut,
    exitCode: outcome.code,
    signal: outcome.signal,
    timedOut,
    durationMs: clock.now() - started,
    tail,
  };
}

async function openLog(path: string): Promise<WriteStream> {
  await mkdir(dirname(path), { recursive: true });
  return createWriteStream(path, { flags: "a" });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Splits a byte stream into lines; returns a flush for the unterminated last line. */
function readLines(stream: Readable, onLine: (line: string) => void): () => void {
  let partial = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    for (const part of parts) onLine(part.endsWith("\r") ? part.slice(0, -1) : part);
    while (partial.length > MAX_LINE) {
      onLine(partial.slice(0, MAX_LINE));
      partial = partial.slice(MAX_LINE);
    }
  });
  return () => {
    if (partial !== "") onLine(partial);
    partial = "";
  };
}

async function waitForClose(a: Readable, b: Readable, graceMs: number): Promise<void> {
  const closed = (s: Readable): Promise<void> =>
    s.closed || s.destroyed ? Promise.resolve() : new Promise((done) => s.once("close", () => done()));
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((done) => {
    timer = setTimeout(done, graceMs);
  });
  await Promise.race([Promise.all([closed(a), closed(b)]), grace]);
  clearTimeout(timer);
  // A process that escaped the group (setsid) may still hold the pipes: stop listening.
  a.destroy();
  b.destroy();
}
