/**
 * Instance runner: the small process between the control plane and one app instance.
 *
 * Usage: node instance-runner.ts <stateDir>/runner-spec.json
 *   (an InstanceSpec as JSON; a file rather than argv so env secrets stay out of /proc/<pid>/cmdline)
 *
 * The driver spawns it detached (own session), so neither it nor the app dies with the control
 * plane. It runs `/bin/sh -c "exec <command>"` (the app keeps the shell's pid), writes
 * `pid.json` ({pid, pidStart, runnerPid, runnerStart}) as soon as the app exists, timestamps
 * every stdout/stderr line into the log file, forwards SIGTERM/SIGINT to the app, and when the
 * app exits writes `exit.json` ({code, signal, at}) and exits itself.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import type { Readable } from "node:stream";
import { DEFAULT_LOG_MAX_BYTES, exitFilePath, parseInstanceSpec, pidFilePath, readJsonFile, writeJsonAtomic } from "./instance-files.ts";
import { LineSplitter } from "./line-splitter.ts";
import { LogFileWriter, type LogStream } from "./log-file-writer.ts";
import { createRedactor, type Redact } from "./log-redactor.ts";
import { removeSecretFiles, writeSecretFiles } from "./secret-files.ts";
import { readProcessStartTime } from "./process-info.ts";
import type { ExitStatus } from "./runtime.types.ts";

// After the app exits, wait at most this long for its pipes to drain: a grandchild that
// inherited stdout would otherwise keep the runner (and the exit file) waiting forever.
const DRAIN_MS = 1000;

const specPath = process.argv[2];
const spec = specPath === undefined ? null : parseInstanceSpec(readJsonFile(specPath));
if (spec === null) {
  process.exitCode = 2;
} else {
  // Secret values must not stay in the data dir: the spec has been read, it is not read again.
  if (spec.secrets && specPath !== undefined) rmSync(specPath, { force: true });
  run(spec.stateDir, spec.logPath, spec.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES);
}

function run(stateDir: string, logPath: string, logMaxBytes: number): void {
  if (spec === null) return;
  process.title = `rampart-runner ${spec.id}`;
  const log = new LogFileWriter(logPath, logMaxBytes);
  const redact = createRedactor(spec.secrets ?? {});
  const secretsDir = spec.secrets && spec.secretFiles ? writeSecretFiles(spec.id, spec.secrets) : null;
  const env = !spec.secrets ? spec.env : secretsDir ? { ...spec.env, RAMPART_SECRETS_DIR: secretsDir } : { ...spec.env, ...spec.secrets };

  // The runner must outlive anything odd inside itself; a dead runner breaks the app's pipes.
  process.on("uncaughtException", (error) => log.writeLines("err", [`[rampart-runner] ${error.stack ?? error.message}`]));
  process.on("SIGHUP", () => {});

  const child = spawn("/bin/sh", ["-c", `exec ${spec.command}`], {
    cwd: spec.cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });

  const finish = (status: ExitStatus): void => {
    try {
      if (secretsDir) removeSecretFiles(secretsDir);
      writeJsonAtomic(exitFilePath(stateDir), status);
    } finally {
      // Even if the state dir is gone, the runner must not linger after its app.
      log.close();
      process.exit(0);
    }
  };

  if (child.pid === undefined) {
    child.on("error", (error) => {
      log.writeLines("err", [`[rampart-runner] could not start ${JSON.stringify(spec.command)}: ${error.message}`]);
      finish({ code: null, signal: null, at: Date.now(), error: error.message });
    });
    return;
  }

  const appPid = child.pid;
  writeJsonAtomic(pidFilePath(stateDir), {
    pid: appPid,
    // Read before the child can be reaped (reaping happens on a later event-loop turn).
    pidStart: readProcessStartTime(appPid) ?? "unknown",
    runnerPid: process.pid,
    runnerStart: readProcessStartTime(process.pid) ?? "unknown",
  });

  for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => child.kill(sig));

  const pipes = [pipeLines(child.stdout, "out", log, redact), pipeLines(child.stderr, "err", log, redact)];
  child.on("exit", (code, signal) => {
    const status: ExitStatus = { code, signal, at: Date.now() };
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, DRAIN_MS));
    void Promise.race([Promise.all(pipes.map((p) => p.closed)), deadline]).then(() => {
      for (const p of pipes) p.splitter.flush();
      finish(status);
    });
  });
}

/** Feeds a pipe into the log; `closed` resolves once it has ended and its last partial line is written. */
function pipeLines(
  stream: Readable,
  name: LogStream,
  log: LogFileWriter,
  redact: Redact,
): { splitter: LineSplitter; closed: Promise<void> } {
  // Redacted here, before the line is stored: the log file, its index and every reader only ever see `[redacted:KEY]`.
  const splitter = new LineSplitter((lines) => log.writeLines(name, lines.map(redact)));
  const closed = new Promise<void>((resolve) => {
    stream.on("data", (chunk: Buffer) => splitter.push(chunk));
    stream.on("error", () => {});
    stream.on("close", () => {
      splitter.end();
      resolve();
    });
  });
  return { splitter, closed };
}
