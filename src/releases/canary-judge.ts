import { guardsFromManifest, judge } from "../analysis/index.ts";
import type { CanaryJudge } from "./rollout-canary.ts";

/** The rollout engine's view of canary analysis (src/analysis): windows in, verdict with evidence out. */
export const judgeCanary: CanaryJudge = ({ canary, stable, guards, now }) =>
  judge(
    {
      canary: { requests: canary.requests, errors: canary.errors, latency: canary.buckets },
      stable: { requests: stable.requests, errors: stable.errors, latency: stable.buckets },
      guards: guardsFromManifest(guards),
    },
    { now: () => now },
  );
