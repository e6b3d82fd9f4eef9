/** What the local driver needs to start one instance of an app as a supervised OS process. */
export interface InstanceSpec {
  id: string;
  cwd: string;
  /** Shell command line; run as `/bin/sh -c "exec <command>"` so the app keeps the pid. */
  command: string;
  /** The app's whole environment (PATH and HOME are added from the control plane if absent). */
  env: Record<string, string>;
  logPath: string;
  /** One directory per instance for the pid, exit and runner-spec files; created if missing. */
  stateDir: string;
  /** Log rotation threshold; 16 MiB unless given (tests use a small one). */
  logMaxBytes?: number;
  /**
   * Secret values by name, when the instance has any: the runner replaces them in the app's output
   * (`[redacted:NAME]`) and removes the spec file once read, so no value stays in the data dir.
   */
  secrets?: Record<string, string>;
  /** Give the secrets as 0400 files in a 0700 per-instance directory (RAMPART_SECRETS_DIR), not as environment variables. */
  secretFiles?: boolean;
}

/** Identity of a running instance; pid + start time so a recycled pid is never mistaken for it. */
export interface InstanceProcess {
  pid: number;
  pidStart: string;
  runnerPid: number;
  runnerStart: string;
  /** Set by start(); lets stop() return the exit status. Absent on records made elsewhere. */
  stateDir?: string;
}

export interface ExitStatus {
  code: number | null;
  signal: string | null;
  /** Epoch ms when the runner saw the app exit. */
  at: number;
  /** Set when the app could not be started at all (e.g. its cwd does not exist). */
  error?: string;
}

/**
 * How instances run: the local driver (processes on this machine), a fake in tests (runtime.fake.ts), later
 * Kubernetes. The supervisor only ever talks to this.
 */
export interface InstanceDriver {
  start(spec: InstanceSpec): Promise<InstanceProcess>;
  isRunning(p: InstanceProcess): boolean;
  /** The exit status the runner wrote when the app exited, if it did. */
  exitStatus(spec: Pick<InstanceSpec, "stateDir">): ExitStatus | null;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status when known. */
  stop(p: InstanceProcess, opts: { graceMs: number }): Promise<ExitStatus | null>;
}
