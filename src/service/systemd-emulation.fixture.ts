import { execFileSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { type RampartUp, startRampartUp } from "../testing/rampart-process.ts";
import type { ParsedUnit } from "./systemd-unit.ts";

/**
 * What systemd does with our unit, for machines where systemd is not PID 1 (containers, CI): the same command line,
 * environment, user, working directory and file limit on start, and on stop the KillMode=process behaviour, the
 * KillSignal to the main process alone and SIGKILL to it alone after TimeoutStopSec. Only what the generated unit
 * uses is emulated (no cgroups, no ExecStop, no journald).
 */

// systemd's default PATH for services (the system manager's; nothing of the caller's environment is passed on).
const SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface ServiceProcess {
  up: RampartUp;
  unit: ParsedUnit;
}

/** The environment systemd gives the service: its PATH and, with User=, that user's USER, LOGNAME, HOME and SHELL. */
export function serviceEnvironment(unit: ParsedUnit): Record<string, string> {
  const env: Record<string, string> = { PATH: SYSTEMD_PATH };
  if (unit.user) {
    const user = passwdEntry(unit.user);
    Object.assign(env, { USER: user.name, LOGNAME: user.name, HOME: user.home, SHELL: user.shell });
  }
  return env;
}

/** `systemctl start`: ExecStart as written, under LimitNOFILE (prlimit execs it, so the main pid is the platform's). */
export async function startService(unit: ParsedUnit, project: { manifestPath: string; dataDir: string }): Promise<ServiceProcess> {
  if (unit.killMode !== "process") throw new Error(`only KillMode=process is emulated, the unit has ${unit.killMode}`);
  const nofile = appliedNofileLimit(unit);
  const limit = nofile === null ? [] : ["prlimit", `--nofile=${nofile}:${nofile}`, "--"];
  const user = unit.user ? passwdEntry(unit.user) : undefined;
  const up = await startRampartUp({
    ...project,
    command: { argv: [...limit, ...unit.execStart], cwd: unit.workingDir },
    env: serviceEnvironment(unit),
    uid: user?.uid,
    gid: user?.gid,
  });
  return { up, unit };
}

/**
 * `systemctl stop` with KillMode=process: KillSignal to the main process only (the edge and instances, detached
 * into their own groups here and left in the cgroup under systemd, are not signalled), SIGKILL to it only after
 * TimeoutStopSec. Resolves with how it ended.
 */
export async function stopService(service: ServiceProcess): Promise<{ code: number | null; killedAfterTimeout: boolean }> {
  const { up, unit } = service;
  const signal = (unit.killSignal ?? "SIGTERM") as NodeJS.Signals;
  up.process.kill(signal);
  const timeoutMs = (unit.timeoutStopSec ?? 90) * 1000;
  const timer = new AbortController();
  const code = await Promise.race([
    up.exited,
    sleep(timeoutMs, "timeout" as const, { signal: timer.signal }).catch(() => "timeout" as const),
  ]);
  timer.abort();
  if (code !== "timeout") return { code, killedAfterTimeout: false };
  up.process.kill("SIGKILL");
  return { code: await up.exited, killedAfterTimeout: true };
}

/** `systemctl restart`: stop as above, then start again at once (RestartSec applies to Restart= only, not to restart). */
export async function restartService(
  service: ServiceProcess,
  project: { manifestPath: string; dataDir: string },
): Promise<{ stopped: Awaited<ReturnType<typeof stopService>>; stoppedInMs: number; service: ServiceProcess }> {
  const startedAt = Date.now();
  const stopped = await stopService(service);
  const stoppedInMs = Date.now() - startedAt;
  return { stopped, stoppedInMs, service: await startService(service.unit, project) };
}

/**
 * LimitNOFILE as far as this process may raise it: systemd (PID 1) can go past the hard limit it was given, a test in
 * a container cannot (here the hard limit is 20000 against the unit's 65536), so it is capped there.
 */
export function appliedNofileLimit(unit: ParsedUnit): number | null {
  if (unit.limitNofile === null) return null;
  const hard = execFileSync("sh", ["-c", "ulimit -Hn"], { encoding: "utf8" }).trim();
  return hard === "unlimited" ? unit.limitNofile : Math.min(unit.limitNofile, Number(hard));
}

function passwdEntry(name: string): { name: string; uid: number; gid: number; home: string; shell: string } {
  const line = execFileSync("getent", ["passwd", name], { encoding: "utf8" }).trim();
  const [user, , uid, gid, , home, shell] = line.split(":");
  if (user === undefined || uid === undefined || gid === undefined) throw new Error(`no passwd entry for ${name}`);
  return { name: user, uid: Number(uid), gid: Number(gid), home: home ?? "/", shell: shell ?? "/bin/sh" };
}
