import type { FlagEnvRecord, FlagRecord } from "./flag.types.ts";
import { KIND_LIFETIME_DAYS } from "./flag.types.ts";

const DAY_MS = 86_400_000;

/** How many days without evaluations, or of serving one variation to everyone, make a flag stale. */
export const DEFAULT_STALE_DAYS = 7;

export interface Staleness {
  stale: boolean;
  reasons: string[];
  /** Epoch ms of the last evaluation an SDK reported, null when none ever did. */
  lastEvaluatedAt: number | null;
  evaluations: number;
}

/**
 * A flag of a kind meant to go away (release, experiment, ops) is stale in an environment when, for `days`,
 * no SDK evaluated it or it served one variation to everyone; or when it outlived its kind's lifetime
 * (release/experiment 40 d, ops 7 d). Permission and kill-switch flags are meant to stay and never are.
 */
export function staleness(
  flag: FlagRecord,
  record: FlagEnvRecord | undefined,
  usage: ReadonlyArray<{ count: number; lastAt: number }>,
  now: number,
  days = DEFAULT_STALE_DAYS,
): Staleness {
  const evaluations = usage.reduce((sum, u) => sum + u.count, 0);
  const lastEvaluatedAt = usage.length > 0 ? Math.max(...usage.map((u) => u.lastAt)) : null;
  const lifetime = KIND_LIFETIME_DAYS[flag.kind];
  if (lifetime === null) return { stale: false, reasons: [], lastEvaluatedAt, evaluations };
  const reasons: string[] = [];
  const limit = days * DAY_MS;
  const unusedSince = lastEvaluatedAt ?? flag.createdAt;
  if (now - unusedSince >= limit)
    reasons.push(
      lastEvaluatedAt === null
        ? `never evaluated in ${Math.floor((now - flag.createdAt) / DAY_MS)} days`
        : `not evaluated for ${Math.floor((now - lastEvaluatedAt) / DAY_MS)} days`,
    );
  const uniformSince = record ? record.uniformSince : flag.createdAt;
  if (uniformSince !== null && now - uniformSince >= limit)
    reasons.push(`everyone gets the same variation for ${Math.floor((now - uniformSince) / DAY_MS)} days`);
  if (now - flag.createdAt >= lifetime * DAY_MS) reasons.push(`older than the ${lifetime} days a ${flag.kind} flag is expected to live`);
  return { stale: reasons.length > 0, reasons, lastEvaluatedAt, evaluations };
}
