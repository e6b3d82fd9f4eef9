/**
 * Allocation check of the evaluation path: garbage collections observed while one SDK evaluates N times
 * after warm-up. Zero or one (a collection already due) means the loop itself does not allocate.
 */
import { PerformanceObserver } from "node:perf_hooks";
import { setImmediate as tick } from "node:timers/promises";
import type { Peer, Scenario } from "./peers.ts";

export async function gcRunsDuring(peer: Peer, scenario: Scenario, n: number): Promise<number> {
  const fn = peer.sync!;
  for (let i = 0; i < 200_000; i++) fn(scenario, i & 4095);
  await tick();
  let count = 0;
  const observer = new PerformanceObserver((list) => (count += list.getEntries().length));
  observer.observe({ entryTypes: ["gc"] });
  let on = 0;
  for (let i = 0; i < n; i++) if (fn(scenario, i & 4095)) on++;
  await tick();
  await tick();
  observer.disconnect();
  if (on < 0) console.log(on);
  return count;
}
