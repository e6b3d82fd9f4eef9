import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import {
  exitFilePath,
  parseExitStatus,
  parseInstanceProcess,
  pidFilePath,
  readJsonFile,
  specFilePath,
  writeJsonAtomic,
} from "./instance-files.ts";
import { isSameProcess } from "./process-info.ts";
import type { ExitStatus, InstanceDriver, InstanceProcess, InstanceSpec } from "./runtime.types.ts";
import { ownScriptArgs } from "../shared/own-script.ts";

export type { ExitStatus, InstanceProcess, InstanceSpec } from "./runtime.types.ts";

const RUNNER_SCRIPT = fileURLToPath(new URL("./instance-runner.ts", import.meta.url));
const START_DEADLINE_MS = 10_000;
const POLL_MS = 50;
// After SIGKILL the kernel frees a process almost at once; longer means something is badly wrong.
const KILL_WAIT_MS = 5_000;
// The runner drains the app's pipes for up to 1 s after the app exits, then writes exit.json.
const RUNNER_EXIT_WAIT_MS = 3_000;

/**
 * Starts app instances as real OS processes that outlive the control plane, each behind a
 * detached instance runner (see instance-runner.ts). Every operation addresses processes by
 * pid + start time, so records re-read after a control-plane restart are safe to act on.
 */
export class LocalDriver implements InstanceDriver {
  async start(spec: InstanceSpec): Promise<InstanceProcess> {
    mkdirSync(spec.stateDir, { recursive: true });
    mkdirSync(dirname(spec.logPath), { recursive: true });
    // Stale files from an earlier run in the same dir would be read as this run's answer.
    rmSync(pidFilePath(spec.stateDir), { force: true });
    rmSync(exitFilePath(spec.stateDir), { force: true });
    const env: Record<string, string> = { ...spec.env };
    for (const key of ["PATH", "HOME"] as const) {
      const value = process.env[key];
      if (env[key] === undefined && value !== undefined) env[key] = value;
    }
    const specPath = specFilePath(spec.stateDir);
    writeJsonAtomic(specPath, { ...spec, env }, 0o600);

    const runner = spawn(process.execPath, ownScriptArgs(RUNNER_SCRIPT, [specPath]), {
      cwd: spec.stateDir,
      detached: true,
      stdio: "ignore",
      // The runner itself gets nothing of the control plane's env (no secrets, no NODE_OPTIONS).
      env: pickEnv(["PATH", "HOME"]),
    });
    runner.unref();
    let runnerFailure: string | undefined;
    runner.on("error", (error) => (runnerFailure = `could not spawn the instance runner: ${error.message}`));
    runner.on(
      "exit",
      (code, signal) => (runnerFailure ??= `instance runner exited (${signal ?? `code ${code}`}) before reporting the app's pid`),
    );

    const deadline = Date.now() + START_DEADLINE_MS;
    for (;;) {
      const started = parseInstanceProcess(readJsonFile(pidFilePath(spec.stateDir)));
      if (started !== null) return { ...started, stateDir: spec.stateDir };
      const exit = this.exitStatus(spec);
      if (exit !== null) throw new Error(`instance ${spec.id} failed to start: ${exit.error ?? describeExit(exit)}`);
      if (runnerFailure !== undefined) throw new Error(`instance ${spec.id} failed to start: ${runnerFailure}`);
      if (Date.now() >= deadline) {
        if (runner.pid !== undefined) signalQuietly(runner.pid, "SIGKILL");
        throw new Error(`instance ${spec.id} failed to start: the runner did not report the app's pid within ${START_DEADLINE_MS} ms`);
      }
      await sleep(20);
    }
  }

  isRunning(p: InstanceProcess): boolean {
    return isSameProcess(p.pid, p.pidStart);
  }

  exitStatus(spec: Pick<InstanceSpec, "stateDir">): ExitStatus | null {
    return parseExitStatus(readJsonFile(exitFilePath(spec.stateDir)));
  }

  /** Never signals a recycled pid: the start time must still match. */
  signal(p: InstanceProcess, sig: NodeJS.Signals): void {
    if (isSameProcess(p.pid, p.pidStart)) signalQuietly(p.pid, sig);
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves once app and runner are gone, with the exit status if known. */
  async stop(p: InstanceProcess, opts: { graceMs: number }): Promise<ExitStatus | null> {
    this.signal(p, "SIGTERM");
    if (!(await waitUntilGone(p.pid, p.pidStart, opts.graceMs))) {
      this.signal(p, "SIGKILL");
      if (!(await waitUntilGone(p.pid, p.pidStart, KILL_WAIT_MS))) {
        throw new Error(`instance process ${p.pid} survived SIGKILL for ${KILL_WAIT_MS} ms`);
      }
    }
    if (!(await waitUntilGone(p.runnerPid, p.runnerStart, RUNNER_EXIT_WAIT_MS))) {
      if (isSameProcess(p.runnerPid, p.runnerStart)) signalQuietly(p.runnerPid, "SIGKILL");
      await waitUntilGone(p.runnerPid, p.runnerStart, KILL_WAIT_MS);
    }
    return p.stateDir === undefined ? null : this.exitStatus({ stateDir: p.stateDir });
  }
}

/** Polls, because a re-adopted process is not our child and cannot be waited on. */
export async function waitUntilGone(pid: number, startTime: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isSameProcess(pid, startTime)) {
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
  }
  return true;
}

function signalQuietly(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

function pickEnv(keys: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of keys) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

function describeExit(exit: ExitStatus): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
}
