import assert from "node:assert/strict";
import { test } from "node:test";
import { parseManifest, resolveApp } from "../config/index.ts";
import type { Clock } from "../shared/clock.ts";
import { emptyBuckets, recordLatency } from "../shared/measurement.ts";
import { guardsFromManifest, type AnalysisGuards } from "./guards.ts";
import { judge } from "./judge.ts";
import { sampleNormal, seededRandom } from "./random.ts";
import type { SideCounts } from "./window.ts";

const clock: Clock = { now: () => 1_700_000_000_000 };

/** `pages` page views whose LCP is log-normal around `medianMs`, and CLS around `cls` (in thousandths, as bucketed). */
function side(pages: number, medianMs: number, cls: number, seed: number): SideCounts {
  const rng = seededRandom(seed);
  const lcp = emptyBuckets();
  const clsBuckets = emptyBuckets();
  for (let i = 0; i < pages; i++) {
    const z = sampleNormal(rng);
    recordLatency(lcp, medianMs * Math.exp(0.3 * z));
    recordLatency(clsBuckets, cls * 1000 * Math.exp(0.3 * z));
  }
  // Plenty of healthy requests: only the vitals decide.
  return { requests: 10_000, errors: 0, latency: [], rum: { lcp, cls: clsBuckets } };
}

const RUM_ONLY = (rum: AnalysisGuards["rum"]): AnalysisGuards => ({ errorRate: null, p99Latency: null, p50Latency: null, rum });

test("lcp_p75: 1.2x fails a canary whose pages paint 60% later than stable's, and passes one as fast", () => {
  const stable = side(2_000, 1200, 0.05, 1);
  const slow = judge({ canary: side(400, 1900, 0.05, 2), stable, guards: RUM_ONLY({ lcp: { kind: "relative", ratio: 1.2 } }) }, clock);
  assert.equal(slow.decision, "fail");
  assert.match(
    slow.reason,
    /^lcp_p75: canary p75 LCP [\d,]+ ms over 400 page views, stable [\d,]+ ms over 2,000; the guard allows 1\.2x stable/,
  );
  const same = judge({ canary: side(400, 1200, 0.05, 3), stable, guards: RUM_ONLY({ lcp: { kind: "relative", ratio: 1.2 } }) }, clock);
  assert.equal(same.decision, "pass", same.reason);
});

test("too few page views hold the step; an absolute CLS ceiling reads in CLS units", () => {
  const stable = side(2_000, 1200, 0.05, 1);
  const few = judge({ canary: side(20, 1200, 0.05, 4), stable, guards: RUM_ONLY({ lcp: { kind: "relative", ratio: 1.2 } }) }, clock);
  assert.equal(few.decision, "hold");
  const shifty = judge({ canary: side(400, 1200, 0.3, 5), stable, guards: RUM_ONLY({ cls: { kind: "absolute", ms: 100 } }) }, clock);
  assert.equal(shifty.decision, "fail");
  const check = shifty.checks[0];
  assert.equal(check?.metric, "cls_p75");
  assert.equal(check?.guard, "0.1");
  assert.ok(check?.canary !== null && check?.canary !== undefined && check.canary > 0.25 && check.canary < 0.45, String(check?.canary));
  assert.match(shifty.reason, /canary p75 CLS 0\.\d{3} over 400 page views/);
});

test("the manifest's vital guards reach the analysis: lcp_p75: 1.2x, cls_p75: 0.1", () => {
  const manifest = parseManifest(
    `name: shop
environments: { production: { port: 8080 } }
apps:
  web:
    source: .
    run: node server.js
    rum: true
    release: { strategy: canary, guards: { lcp_p75: 1.2x, cls_p75: 0.1, inp_p75: 300ms } }
`,
    "rampart.yaml",
  );
  const web = resolveApp(manifest, "web", "production");
  assert.equal(web.rum, true);
  const guards = guardsFromManifest(web.release.guards);
  assert.deepEqual(guards.rum, {
    lcp: { kind: "relative", ratio: 1.2 },
    inp: { kind: "absolute", ms: 300 },
    cls: { kind: "absolute", ms: 100 },
  });
});
