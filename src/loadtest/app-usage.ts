import { readProcessUsage } from "../runtime/process-info.ts";
import type { AppUsage } from "./loadtest.types.ts";

/**
 * The app's CPU and memory while the load runs, read from /proc by the CLI itself (a load test is loopback only, so
 * the instances run on this machine): CPU time used between start and finish, the highest resident memory seen.
 */
export class AppUsageSampler {
  readonly #pids: number[];
  readonly #cpuAtStart: Map<number, number>;
  readonly #startedAt = performance.now();
  #maxRssBytes = 0;

  constructor(pids: number[]) {
    this.#pids = pids;
    this.#cpuAtStart = new Map(pids.flatMap((pid) => mapUsage(pid, (u) => u.cpuSeconds)));
    this.sample();
  }

  sample(): void {
    let rss = 0;
    for (const pid of this.#pids) rss += readProcessUsage(pid)?.rssBytes ?? 0;
    this.#maxRssBytes = Math.max(this.#maxRssBytes, rss);
  }

  finish(): AppUsage {
    this.sample();
    let cpu = 0;
    for (const [pid, start] of this.#cpuAtStart) cpu += Math.max(0, (readProcessUsage(pid)?.cpuSeconds ?? start) - start);
    const seconds = (performance.now() - this.#startedAt) / 1000;
    return {
      instances: this.#cpuAtStart.size,
      cpuSeconds: Math.round(cpu * 100) / 100,
      cpuPercent: seconds > 0 ? Math.round((cpu / seconds) * 1000) / 10 : 0,
      maxRssBytes: this.#maxRssBytes,
    };
  }
}

function mapUsage<T>(pid: number, pick: (u: { rssBytes: number; cpuSeconds: number }) => T): [number, T][] {
  const usage = readProcessUsage(pid);
  return usage ? [[pid, pick(usage)]] : [];
}
