import { flagDb } from "./flag-tables.ts";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FlagsClient } from "../../packages/sdk/src/flags-client.ts";
import { seededRandom } from "../analysis/random.ts";
import type { ExperimentResults } from "./flag-experiment.view.ts";
import { printResults } from "./flag-results.cli.ts";
import { flagsFixture, type FlagsFixture } from "./flag.fixture.ts";

const DAY = 86_400_000;
const ENV = "staging";
// Small, because the machine is shared: the statistics are proven at scale in src/analysis/experiment-stats.test.ts.
const USERS_PER_DAY = 300;

/**
 * A real FlagsClient whose network is the fixture's services, in process: snapshots from the flag snapshots,
 * exposure and event batches into the experiment service. The fake clock times everything.
 */
function sdkOver(f: FlagsFixture): FlagsClient {
  const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    if (url.endsWith("/api/v1/flags/sdk/snapshot")) return Response.json(await f.snapshots.snapshot(ENV));
    if (url.endsWith("/api/v1/flags/sdk/events"))
      return Response.json(await f.experiments.ingestSdk(ENV, JSON.parse(String(init?.body))), { status: 202 });
    return new Response(null, { status: 202 });
  };
  return new FlagsClient({
    url: "http://rampart.test",
    sdkToken: "rsdk_t",
    streaming: false,
    pollIntervalMs: 3_600_000,
    metricsIntervalMs: 3_600_000,
    fetch: fakeFetch as typeof fetch,
    now: () => f.clock.now(),
  });
}

/** What `rampart flags results` prints for these results. */
function printed(results: ExperimentResults): string {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => chunks.push(chunk) > 0) as typeof process.stdout.write;
  try {
    printResults(results);
  } finally {
    process.stdout.write = write;
  }
  return chunks.join("");
}

interface Scenario {
  flag: string;
  /** Conversion probability per variation. */
  convert: Record<string, number>;
  /** Share of users who come back (evaluate the flag again) the next day, per variation; default a third. */
  returnShare?: Record<string, number>;
}

/**
 * Three weeks of a rollout (5% the first week, 25% the second, 50% the third), USERS_PER_DAY new users a day, each
 * evaluating the flag on arrival (and a third of them again the next day), converting with their variation's
 * probability at some time over the next two days. Results are looked at every day; returns each day's.
 */
async function threeWeeks(f: FlagsFixture, client: FlagsClient, scenario: Scenario, seed: number): Promise<ExperimentResults[]> {
  const rng = seededRandom(seed);
  const looks: ExperimentResults[] = [];
  const pending: Array<{ at: number; user: string; value: number }> = [];
  const returning: string[] = [];
  for (let day = 0; day < 21; day++) {
    if (day % 7 === 0) {
      await f.service.percentRollout(scenario.flag, ENV, { percentage: [5, 25, 50][day / 7] ?? 50, by: "userId" }, "sim");
      client.setSnapshot(await f.snapshots.snapshot(ENV));
    }
    const start = f.clock.now();
    for (const user of returning.splice(0)) client.boolean(scenario.flag, { userId: user }, false);
    for (let i = 0; i < USERS_PER_DAY; i++) {
      f.clock.advance(DAY / (2 * USERS_PER_DAY));
      const user = `${scenario.flag}-d${day}-u${i}`;
      const variation = client.detail(scenario.flag, { userId: user }).variation;
      if (rng.next() < (scenario.returnShare?.[variation] ?? 1 / 3)) returning.push(user);
      if (rng.next() < (scenario.convert[variation] ?? 0)) {
        pending.push({ at: f.clock.now() + rng.next() * 2 * DAY, user, value: -40 * Math.log(1 - rng.next()) });
      }
    }
    await client.flushMetrics();
    f.clock.advance(start + DAY - f.clock.now());
    // Events whose time has come are tracked "now" (the SDK stamps them with the fake clock).
    pending.sort((a, b) => a.at - b.at);
    while (pending.length > 0 && (pending[0]?.at ?? Infinity) <= f.clock.now()) {
      const e = pending.shift();
      if (e) client.track("purchase", { userId: e.user }, { value: e.value });
    }
    await client.flushMetrics();
    looks.push(await f.experiments.results(scenario.flag, ENV, { metric: "purchase", alpha: 0.05, targetEffect: 0.1 }));
  }
  return looks;
}

describe("experiments: business events per variation over a simulated three-week rollout", () => {
  let f: FlagsFixture;
  let client: FlagsClient;
  before(async () => {
    f = await flagsFixture();
    client = sdkOver(f);
    for (const key of ["reco", "reco-null", "sticky"])
      await f.service.create({ key, type: "boolean", kind: "experiment", description: "" }, "alice");
    // A fixed salt per flag (a new flag gets a random one), so who lands in which variation, and with it every
    // decision below, is the same in every run: a null experiment calls something in ~1 % of salts by design.
    for (const key of ["reco", "reco-null", "sticky"])
      await flagDb(f.database.db)
        .updateTable("flags")
        .set({ salt: `fixed-${key}` })
        .where("key", "=", key)
        .execute();
  });
  after(async () => {
    await client.close();
    await f.close();
  });

  it("finds a known effect (on converts 20% against 10%) and states lift, MDE and the sample-ratio check", async () => {
    const looks = await threeWeeks(f, client, { flag: "reco", convert: { off: 0.1, on: 0.2 } }, 1);
    const last = looks.at(-1);
    assert.ok(last);
    const firstCall = looks.findIndex((l) => l.comparisons[0]?.conversion.decision === "treatment_better");
    process.stdout.write(`# known effect: called on day ${firstCall + 1} of 21; ${JSON.stringify(last.comparisons[0]?.conversion)}\n`);
    assert.equal(last.control, "off");
    const on = last.days.at(-1)?.variations.find((v) => v.variation === "on");
    const off = last.days.at(-1)?.variations.find((v) => v.variation === "off");
    assert.ok(on && off);
    assert.ok(on.exposed > 1000 && off.exposed > 3500, `exposed on ${on.exposed}, off ${off.exposed}`);
    assert.ok(Math.abs(on.conversion.estimate - 0.2) < 0.04, `on converts ${on.conversion.estimate}`);
    assert.ok(Math.abs(off.conversion.estimate - 0.1) < 0.02, `off converts ${off.conversion.estimate}`);
    assert.ok(on.conversion.low < 0.2 && 0.2 < on.conversion.high, "the interval covers the true rate");
    assert.ok(on.valuePerUser.estimate > off.valuePerUser.estimate, "more buyers, more value per user");
    assert.equal(last.comparisons[0]?.conversion.decision, "treatment_better");
    assert.ok(firstCall >= 0);
    assert.equal(last.sampleRatio?.mismatch, false, JSON.stringify(last.sampleRatio));
    assert.ok(last.days.length >= 21, `${last.days.length} days of results`);
    // What `rampart flags results reco --env staging` prints for it.
    const text = printed(last);
    assert.match(text, /conversion +treatment_better +lift \+\d/);
    assert.match(text, /sample ratio ok/);
    assert.match(text, /VALUE\/USER/);
  });

  it("a null experiment looked at daily for three weeks calls nothing", async () => {
    const looks = await threeWeeks(f, client, { flag: "reco-null", convert: { off: 0.1, on: 0.1 } }, 2);
    for (const look of looks) assert.equal(look.comparisons[0]?.conversion.decision ?? "keep_collecting", "keep_collecting");
    const last = looks.at(-1)?.comparisons[0]?.conversion;
    assert.ok(last && last.sampleNeeded !== null && last.minimumDetectableEffect !== null);
    process.stdout.write(
      `# null: MDE now ${(last.minimumDetectableEffect * 100).toFixed(1)}%, ${last.sampleNeeded} more users per variation for 10%\n`,
    );
  });

  it("retention: users coming back the next day per variation and cohort, compared with control", async () => {
    const looks = await threeWeeks(f, client, { flag: "sticky", convert: {}, returnShare: { on: 0.5, off: 0.3 } }, 3);
    const last = looks.at(-1);
    assert.ok(last);
    const byVariation = (v: string) => last.retention.variations.find((x) => x.variation === v)?.byDays ?? [];
    const [onD1, onD7] = byVariation("on");
    const [offD1, offD7] = byVariation("off");
    assert.ok(onD1 && onD7 && offD1 && offD7);
    assert.deepEqual(last.retention.afterDays, [1, 7]);
    assert.ok(Math.abs(onD1.rate.estimate - 0.5) < 0.06, `on D1 ${onD1.rate.estimate}`);
    assert.ok(Math.abs(offD1.rate.estimate - 0.3) < 0.03, `off D1 ${offD1.rate.estimate}`);
    assert.ok(onD1.rate.low < 0.5 && 0.5 < onD1.rate.high);
    assert.equal(onD1.decision, "treatment_better");
    assert.equal(offD1.decision, null);
    // Nobody returns a week later in this scenario; only users first exposed 7+ days ago are eligible for it.
    assert.equal(onD7.returned, 0);
    assert.ok(onD7.eligible < onD1.eligible, `D7 eligible ${onD7.eligible} < D1 eligible ${onD1.eligible}`);
    const lastCohort = last.retention.cohorts.at(-1);
    assert.deepEqual(
      lastCohort?.variations.map((v) => v.returned),
      lastCohort?.variations.map(() => [null, null]),
      "today's cohort cannot have returned yet",
    );
    assert.match(printed(last), /\non +1d +\d+ +\d+ +\d+\.\d\d% .* treatment_better/);
  });

  it("attributes only events after an exposure and within the window, and never events of unexposed users", async () => {
    await f.service.create({ key: "window", type: "boolean", kind: "experiment", description: "" }, "alice");
    await f.service.percentRollout("window", ENV, { percentage: 100, by: "userId" }, "x");
    client.setSnapshot(await f.snapshots.snapshot(ENV));
    client.track("signup", { userId: "early" });
    await client.flushMetrics();
    client.boolean("window", { userId: "early" }, false);
    client.boolean("window", { userId: "late" }, false);
    await client.flushMetrics();
    f.clock.advance(31 * DAY);
    client.track("signup", { userId: "late" });
    const http = await f.experiments.ingestHttp(ENV, [
      { key: "signup", context: { targetingKey: "nobody" } },
      { key: "signup", context: { plan: "pro" } },
    ]);
    assert.deepEqual(http, { accepted: 1, attributed: 0, withoutKey: 1 });
    await client.flushMetrics();
    const r = await f.experiments.results("window", ENV, { metric: "signup", alpha: 0.05, targetEffect: 0.1 });
    const on = r.days.at(-1)?.variations.find((v) => v.variation === "on");
    assert.equal(on?.exposed, 2);
    assert.equal(on?.events, 0, "before the exposure, and after the 30-day window: neither counts");
  });
});
