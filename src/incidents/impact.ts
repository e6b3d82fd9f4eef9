import type { Db } from "../db/database.ts";
import { bucketCountsSchema } from "../edge/edge-stats.types.ts";
import { parseJsonAs } from "../shared/checked-json.ts";
import { addBuckets, bucketQuantile, bucketTotal, isFailedRequest } from "../shared/measurement.ts";

const MINUTE_MS = 60_000;
/** How far before the incident's opening the baseline is read from. */
export const BASELINE_LOOKBACK_MS = 60 * MINUTE_MS;

interface Second {
  at: number;
  requests: number;
  errors: number;
  buckets: number[];
}

export interface ImpactStart {
  at: number;
  reason: string;
}

/** The edge's per-second aggregates of one app in one environment (every release), ascending. */
export async function readSeconds(db: Db, env: string, app: string, from: number, to: number): Promise<Second[]> {
  const rows = await db
    .selectFrom("request_stats")
    .select(["at", "status", "count", "buckets"])
    .where("env", "=", env)
    .where("app", "=", app)
    .where("at", ">=", from)
    .where("at", "<=", to)
    .orderBy("at")
    .execute();
  const seconds = new Map<number, Second>();
  for (const row of rows) {
    let s = seconds.get(row.at);
    if (!s) seconds.set(row.at, (s = { at: row.at, requests: 0, errors: 0, buckets: [] }));
    s.requests += row.count;
    if (isFailedRequest(row.status)) s.errors += row.count;
    else addBuckets(s.buckets, parseJsonAs(bucketCountsSchema, row.buckets, `request_stats.buckets of ${env}/${app}`));
  }
  return [...seconds.values()];
}

/**
 * The first second that starts a minute whose error ratio or p99 left the baseline of everything before it, or
 * null when none did. A sliding minute, not clock-aligned ones: a canary that starts failing late in one minute
 * is found at its first failure, not at the next minute's start. Left means: at least 3 failed requests in the
 * minute and a ratio above twice the baseline and 2 points over it (the second must itself have failures); or,
 * with 20 requests on both sides, a p99 over 1.5× the baseline's and 100 ms over it.
 */
export function findImpactStart(seconds: readonly Second[]): ImpactStart | null {
  const base = { requests: 0, errors: 0, buckets: [] as number[] };
  for (let i = 0; i < seconds.length; i++) {
    const first = seconds[i] as Second;
    const m = { requests: 0, errors: 0, buckets: [] as number[] };
    for (let j = i; j < seconds.length && (seconds[j] as Second).at < first.at + MINUTE_MS; j++) {
      const s = seconds[j] as Second;
      m.requests += s.requests;
      m.errors += s.errors;
      addBuckets(m.buckets, s.buckets);
    }
    const baseRatio = base.requests === 0 ? 0 : base.errors / base.requests;
    const ratio = m.requests === 0 ? 0 : m.errors / m.requests;
    if (first.errors > 0 && m.errors >= 3 && ratio > 2 * baseRatio && ratio > baseRatio + 0.02) {
      return {
        at: errorOnset(seconds, i, (baseRatio + ratio) / 2),
        reason: `error ratio ${pct(ratio)} over the next minute (${m.errors} of ${m.requests} requests failed) against a baseline of ${pct(baseRatio)}`,
      };
    }
    if (bucketTotal(m.buckets) >= 20 && bucketTotal(base.buckets) >= 20) {
      const p99 = bucketQuantile(m.buckets, 0.99);
      const baseP99 = bucketQuantile(base.buckets, 0.99);
      if (p99 > 1.5 * baseP99 && p99 > baseP99 + 100) {
        // The minute is off; its first second that is itself slow is where it began.
        const limit = Math.max(1.5 * baseP99, baseP99 + 100);
        const slow = seconds.find((s) => s.at >= first.at && bucketTotal(s.buckets) > 0 && bucketQuantile(s.buckets, 0.99) > limit);
        return {
          at: slow?.at ?? first.at,
          reason: `p99 latency ${Math.round(p99)} ms over the next minute against a baseline of ${Math.round(baseP99)} ms`,
        };
      }
    }
    base.requests += first.requests;
    base.errors += first.errors;
    addBuckets(base.buckets, first.buckets);
  }
  return null;
}

/**
 * Where, inside the minute that starts at `seconds[from]`, the errors began: the CUSUM change point, the second
 * from which failures most exceed `reference` (a ratio between the baseline's and the minute's). A stray failure
 * in healthy traffic shortly before the real fault opens the minute, but the healthy seconds after it pull its sum
 * below the fault's own first second, so the onset is the fault's and not the stray's.
 */
function errorOnset(seconds: readonly Second[], from: number, reference: number): number {
  const first = seconds[from] as Second;
  let end = from;
  while (end + 1 < seconds.length && (seconds[end + 1] as Second).at < first.at + MINUTE_MS) end++;
  let suffix = 0;
  let best = { at: first.at, score: Number.NEGATIVE_INFINITY };
  for (let j = end; j >= from; j--) {
    const s = seconds[j] as Second;
    suffix += s.errors - reference * s.requests;
    if (s.errors > 0 && suffix >= best.score) best = { at: s.at, score: suffix };
  }
  return best.at;
}

/** Requests and failed requests from `from` up to (not including) `to`, the instant the damage stopped. */
export function countBetween(seconds: readonly Second[], from: number, to: number): { requests: number; errors: number } {
  let requests = 0;
  let errors = 0;
  for (const s of seconds) {
    if (s.at < from || s.at >= to) continue;
    requests += s.requests;
    errors += s.errors;
  }
  return { requests, errors };
}

export function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio < 0.1 ? 2 : 1)}%`;
}

/** Requests and failed requests per release between two instants: the evidence that points at one release. */
export async function countByRelease(
  db: Db,
  env: string,
  app: string,
  from: number,
  to: number,
): Promise<{ release: number; requests: number; errors: number }[]> {
  const rows = await db
    .selectFrom("request_stats")
    .select(["release", "status", "count"])
    .where("env", "=", env)
    .where("app", "=", app)
    .where("at", ">=", from)
    .where("at", "<", to)
    .execute();
  const byRelease = new Map<number, { release: number; requests: number; errors: number }>();
  for (const row of rows) {
    let r = byRelease.get(row.release);
    if (!r) byRelease.set(row.release, (r = { release: row.release, requests: 0, errors: 0 }));
    r.requests += row.count;
    if (isFailedRequest(row.status)) r.errors += row.count;
  }
  return [...byRelease.values()].sort((a, b) => a.release - b.release);
}
