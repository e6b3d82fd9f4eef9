import type { InstanceRecord } from "../runtime/instance.types.ts";
import { readProcessUsage } from "../runtime/process-info.ts";
import type { MetricsStore } from "./metrics.store.ts";

export const INSTANCE_CPU = "rampart_instance_cpu_seconds_total";
export const INSTANCE_RSS = "rampart_instance_resident_memory_bytes";
export const INSTANCE_RESTARTS = "rampart_instance_restarts_total";
export const INSTANCE_UP = "rampart_instance_up";

/**
 * Samples every instance's CPU time and resident memory from /proc each second. The pid is the app's own
 * process (the runner execs the command through `sh -c exec`, so the app keeps the shell's pid), not the
 * runner's. CPU and restarts are counters: their per-second increases are filed, so a restarted instance
 * (a new process whose CPU time starts at 0) never shows a negative rate.
 */
export class RuntimeMetricsCollector {
  readonly #store: MetricsStore;
  readonly #list: () => InstanceRecord[];
  readonly #last = new Map<string, { pid: number; cpu: number; restarts: number }>();

  constructor(store: MetricsStore, list: () => InstanceRecord[]) {
    this.#store = store;
    this.#list = list;
  }

  collect(nowMs: number): void {
    const sec = Math.floor(nowMs / 1000);
    const seen = new Set<string>();
    for (const instance of this.#list()) {
      if (instance.status === "stopped") continue;
      seen.add(instance.id);
      const labels = { env: instance.env, app: instance.app, release: String(instance.release), instance: instance.id };
      const usage = instance.pid === null ? null : readProcessUsage(instance.pid);
      this.#store.setGauge(INSTANCE_UP, labels, sec, usage ? 1 : 0);
      const previous = this.#last.get(instance.id);
      const restartsDelta = previous ? Math.max(0, instance.restarts - previous.restarts) : 0;
      this.#store.addCounter(INSTANCE_RESTARTS, labels, sec, restartsDelta);
      if (!usage || instance.pid === null) {
        if (previous) previous.restarts = instance.restarts;
        continue;
      }
      this.#store.setGauge(INSTANCE_RSS, labels, sec, usage.rssBytes);
      // A new pid is a new process: its whole CPU time so far is this second's increase only if we saw it start.
      const cpuDelta = previous && previous.pid === instance.pid ? Math.max(0, usage.cpuSeconds - previous.cpu) : 0;
      this.#store.addCounter(INSTANCE_CPU, labels, sec, cpuDelta);
      this.#last.set(instance.id, { pid: instance.pid, cpu: usage.cpuSeconds, restarts: instance.restarts });
    }
    for (const id of this.#last.keys()) if (!seen.has(id)) this.#last.delete(id);
  }
}
