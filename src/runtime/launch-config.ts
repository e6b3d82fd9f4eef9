/** What the supervisor needs to run and check one instance; derived from the release's config snapshot. */
export interface LaunchConfig {
  cwd: string;
  command: string;
  env: Record<string, string>;
  health: {
    path: string;
    intervalMs: number;
    timeoutMs: number;
    unhealthyThreshold: number;
  };
  drainMs: number;
  /** The release's secrets (names and versions), decrypted by the supervisor at each start; absent: none. */
  secrets?: { env: string; app: string; versions: Record<string, number>; asFiles: boolean };
}

/** Restart policy: capped exponential backoff; this many crashes inside the window is a crash loop. */
export const restartPolicy = {
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
  crashLoopCount: 5,
  crashLoopWindowMs: 120_000,
  /** Starting instances are probed this often, so a deploy does not wait a whole interval for a fast app. */
  startingProbeMs: 200,
} as const;

export function backoffMs(recentCrashes: number): number {
  const exponent = Math.max(0, recentCrashes - 1);
  return Math.min(restartPolicy.maxBackoffMs, restartPolicy.initialBackoffMs * 2 ** exponent);
}
