import type { ExitStatus, InstanceDriver, InstanceProcess, InstanceSpec } from "./runtime.types.ts";

/**
 * An InstanceDriver without processes, for state-machine tests of what sits on the driver: `start` hands out
 * made-up pids, `crash` and `stop` end them with an exit status the way the runner would record it. The contract
 * test (instance-driver.contract.test.ts) holds it to the same observable behaviour as the LocalDriver.
 */
export class FakeInstanceDriver implements InstanceDriver {
  readonly #now: () => number;
  #nextPid = 100_000;
  readonly #running = new Map<number, InstanceSpec>();
  readonly #exits = new Map<string, ExitStatus>();
  /** Every spec started, in order (what a test asserts launches on). */
  readonly started: InstanceSpec[] = [];
  /** A start that fails like a missing cwd does for the local driver: exit recorded with an error. */
  failStarts = false;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async start(spec: InstanceSpec): Promise<InstanceProcess> {
    this.started.push(spec);
    const pid = this.#nextPid++;
    const process: InstanceProcess = {
      pid,
      pidStart: `fake-${pid}`,
      runnerPid: pid + 1_000_000,
      runnerStart: `fake-runner-${pid}`,
      stateDir: spec.stateDir,
    };
    this.#exits.delete(spec.stateDir);
    if (this.failStarts)
      this.#exits.set(spec.stateDir, { code: null, signal: null, at: this.#now(), error: `cannot start ${spec.command}` });
    else this.#running.set(pid, spec);
    return process;
  }

  isRunning(p: InstanceProcess): boolean {
    return this.#running.has(p.pid);
  }

  exitStatus(spec: Pick<InstanceSpec, "stateDir">): ExitStatus | null {
    return this.#exits.get(spec.stateDir) ?? null;
  }

  async stop(p: InstanceProcess): Promise<ExitStatus | null> {
    const spec = this.#running.get(p.pid);
    if (!spec) return p.stateDir === undefined ? null : (this.#exits.get(p.stateDir) ?? null);
    return this.#end(p.pid, spec, { code: null, signal: "SIGTERM", at: this.#now() });
  }

  /** The app exits by itself (a crash, or `code: 0`). */
  crash(p: InstanceProcess, status: { code?: number | null; signal?: string | null } = { code: 1 }): ExitStatus {
    const spec = this.#running.get(p.pid);
    if (!spec) throw new Error(`fake process ${p.pid} is not running`);
    return this.#end(p.pid, spec, { code: status.code ?? null, signal: status.signal ?? null, at: this.#now() });
  }

  #end(pid: number, spec: InstanceSpec, status: ExitStatus): ExitStatus {
    this.#running.delete(pid);
    this.#exits.set(spec.stateDir, status);
    return status;
  }
}
