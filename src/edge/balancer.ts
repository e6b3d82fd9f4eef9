import type { CompiledApp, CompiledInstance, CompiledRelease } from "./compiled-table.ts";

/** What the picker needs to know about instances right now (kept by UpstreamRegistry). */
export interface InstanceLoad {
  outstanding(id: string): number;
  isDown(id: string): boolean;
  /** Order of the instance's latest answer (0: none): the most recent is the one most surely alive. */
  lastAnswer(id: string): number;
}

/**
 * Smooth weighted round-robin (as in nginx): with weights 5/95 the canary gets exactly every 20th
 * request, evenly spread, so its sample is not lumpy the way a random split is at small volumes.
 */
export function pickRelease(app: CompiledApp): CompiledRelease | undefined {
  const releases = app.weighted;
  if (releases.length <= 1) return releases[0];
  let total = 0;
  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < releases.length; i++) {
    const weight = (releases[i] as CompiledRelease).weight;
    total += weight;
    const value = (app.current[i] as number) + weight;
    app.current[i] = value;
    if (value > bestValue) {
      bestValue = value;
      best = i;
    }
  }
  app.current[best] = bestValue - total;
  return releases[best];
}

/**
 * Fewest outstanding requests wins; scanning from a rotating start makes ties round-robin. Instances
 * marked down are skipped unless every candidate is down (then refusing to try would be worse). `exclude`:
 * the instances a retried request already failed on.
 */
export function pickInstance(
  release: CompiledRelease,
  load: InstanceLoad,
  exclude?: readonly CompiledInstance[],
): CompiledInstance | undefined {
  const instances = release.instances;
  const n = instances.length;
  if (n === 0) return undefined;
  const start = release.cursor;
  release.cursor = start + 1 >= n ? 0 : start + 1;
  let best: CompiledInstance | undefined;
  let bestLoad = Number.POSITIVE_INFINITY;
  let fallback: CompiledInstance | undefined;
  let fallbackLoad = Number.POSITIVE_INFINITY;
  for (let k = 0; k < n; k++) {
    const instance = instances[(start + k) % n] as CompiledInstance;
    if (exclude?.includes(instance)) continue;
    const outstanding = load.outstanding(instance.id);
    if (load.isDown(instance.id)) {
      if (outstanding < fallbackLoad) {
        fallback = instance;
        fallbackLoad = outstanding;
      }
    } else if (outstanding < bestLoad) {
      best = instance;
      bestLoad = outstanding;
    }
  }
  return best ?? fallback;
}

/**
 * An instance the request has not failed on yet (`tried`, the latest last), not marked down: from another release
 * first, because when an instance refuses connections its siblings often do too (a crashing canary, a release that
 * crashes a while after starting) while the other release was serving: one taking traffic, else one on standby
 * (weight 0: kept warm, or settling after a rollout); then from the same release; a down one only when nothing
 * else is left. Undefined when every instance was tried.
 */
export function pickRetryInstance(app: CompiledApp, tried: readonly CompiledInstance[], load: InstanceLoad): CompiledInstance | undefined {
  const failed = tried.at(-1);
  if (failed === undefined) return undefined;
  const elsewhere =
    pickUpInstanceElsewhere(app, failed.release, load, tried) ?? pickUpInstanceElsewhere(app, failed.release, load, tried, true);
  if (elsewhere !== undefined) return elsewhere;
  const same = app.all.find((r) => r.release === failed.release);
  const fromSame = same === undefined ? undefined : (pickMostRecentlyAnswering(same, load, tried) ?? pickInstance(same, load, tried));
  return fromSame ?? firstOther(app, same, tried, load);
}

/**
 * For the retry within one release: the instance that answered last. When several instances died at once
 * (two of three killed), the one still answering is the one that did most recently; least outstanding could
 * pick the other dead one, which nothing has marked down yet.
 */
function pickMostRecentlyAnswering(
  release: CompiledRelease,
  load: InstanceLoad,
  exclude: readonly CompiledInstance[],
): CompiledInstance | undefined {
  let best: CompiledInstance | undefined;
  let bestAnswer = 0;
  for (const instance of release.instances) {
    if (exclude.includes(instance) || load.isDown(instance.id)) continue;
    const answer = load.lastAnswer(instance.id);
    if (answer > bestAnswer) {
      best = instance;
      bestAnswer = answer;
    }
  }
  return best;
}

/** An instance not marked down from a release other than `release` (taking traffic, unless `anyWeight`), or undefined. */
export function pickUpInstanceElsewhere(
  app: CompiledApp,
  release: number,
  load: InstanceLoad,
  exclude?: readonly CompiledInstance[],
  anyWeight = false,
): CompiledInstance | undefined {
  for (const other of app.all) {
    if (other.release === release || (!anyWeight && other.weight === 0)) continue;
    const instance = pickInstance(other, load, exclude);
    if (instance !== undefined && !load.isDown(instance.id)) return instance;
  }
  return undefined;
}

function firstOther(
  app: CompiledApp,
  same: CompiledRelease | undefined,
  tried: readonly CompiledInstance[],
  load: InstanceLoad,
): CompiledInstance | undefined {
  for (const release of app.all) {
    if (release === same) continue;
    const other = pickInstance(release, load, tried);
    if (other !== undefined) return other;
  }
  return undefined;
}
