import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { userHash } from "../../packages/sdk/src/user-hash.ts";
import { createAlertNotifier } from "../alerts/notify/alert-notify.module.ts";
import type { InfoNotice } from "../alerts/notify/info-notice.ts";
import { seededRandom } from "../analysis/random.ts";
import { systemClock } from "../shared/clock.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../testing/webhook-receiver.ts";
import { FlagExperimentReports } from "./flag-experiment-report.service.ts";
import { FlagExperimentReportStore } from "./flag-experiment-report.store.ts";
import { FlagRolloutStore } from "./flag-rollout.store.ts";
import { flagsFixture, type FlagsFixture } from "./flag.fixture.ts";

const DAY = 86_400_000;
const ENV = "staging";

describe("weekly experiment reports (fake clock)", () => {
  let f: FlagsFixture;
  let reports: FlagExperimentReports;
  let hook: WebhookReceiver;
  const notices: InfoNotice[] = [];
  const rng = seededRandom(21);
  let users = 0;

  /** A day of `n` new users on each variation, converting 10% (off) and 20% (on), buying for 40. */
  async function day(n: number): Promise<void> {
    const at = f.clock.now();
    const exposures = [];
    const events = [];
    for (const [variation, p] of [
      ["off", 0.1],
      ["on", 0.2],
    ] as const) {
      for (let i = 0; i < n; i++) {
        const user = userHash(`u${users++}`);
        exposures.push({ flag: "reco", variation, user, atMs: at });
        if (rng.next() < p) events.push({ key: "purchase", user, atMs: at + 1000, value: 40 });
      }
    }
    f.clock.advance(2000);
    await f.experiments.ingestSdk(ENV, { exposures, events });
    f.clock.advance(DAY - 2000);
  }

  before(async () => {
    hook = await startWebhookReceiver();
    const { url } = hook;
    f = await flagsFixture();
    // Deliveries run on real time (retries), the reports on the fake clock.
    const notify = createAlertNotifier({
      db: f.database.db,
      events: f.events,
      clock: systemClock,
      alerts: () => ({
        receivers: { product: { webhook: `${url}/product` }, oncall: { webhook: `${url}/oncall` } },
        default_receiver: "oncall",
        routes: [{ match: { alertname: "experiment_report" }, receiver: "product" }],
      }),
      externalUrl: "http://127.0.0.1:7700",
      retry: { attempts: 2, initialBackoffMs: 20, maxBackoffMs: 40 },
    });
    reports = new FlagExperimentReports({
      experiments: f.experiments,
      store: new FlagExperimentReportStore(f.database.db),
      rollouts: new FlagRolloutStore(f.database.db),
      events: f.events,
      clock: f.clock,
      inform: (notice) => {
        notices.push(notice);
        notify.inform(notice);
      },
    });
    await f.service.create({ key: "reco", type: "boolean", kind: "experiment", description: "" }, "alice");
    await f.service.startPlan("reco", ENV, { steps: [50, 100], every: "14d", guards: {}, onFail: "pause", by: "userId" }, "alice");
    // Let the test's `idle` wait for deliveries.
    idle = () => notify.idle();
  });
  let idle: () => Promise<void> = async () => undefined;
  after(async () => {
    hook.close();
    await f.close();
  });

  it("writes nothing before an experiment's first week is over, then one report a week, to the event log and the receivers", async () => {
    for (let d = 0; d < 6; d++) await day(150);
    assert.equal(await reports.tick(), 0, "6 days in: no report yet");
    await day(150);
    assert.equal(await reports.tick(), 1, "a week after the first exposure: the first report");
    assert.equal(await reports.tick(), 0, "once a week, not at every check");
    const [event] = await f.events.query({ type: "flag.experiment.report", limit: 10 });
    assert.ok(event);
    assert.equal(event.actor, "rampart");
    assert.equal(event.env, ENV);
    const markdown = String(event.data.markdown);
    assert.match(markdown, /^# Experiment report: reco in staging/);
    assert.match(
      markdown,
      /## Exposure\n\n\| variation \| exposed users \| share \|\n\|---\|---:\|---:\|\n\| off \| 1050 \| 50\.00% \|\n\| on \| 1050 \| 50\.00% \|/,
    );
    assert.match(markdown, /## Metric `purchase`/);
    assert.match(markdown, /- on vs off, conversion: \*\*treatment_better\*\*, lift \+\d/);
    assert.match(markdown, /## Retention/);
    assert.match(
      markdown,
      /## Rollout plan\n\nRunning, step 1 of 2 at 50% `on`\. Next: 100% from 2026-01-15T00:00:00Z \(in 7d\), only while every guard holds/,
    );
    assert.match(event.message, /weekly report of experiment reco in staging: on treatment_better on purchase conversion/);
    assert.equal(notices.length, 1);
    assert.deepEqual(notices[0]?.labels, { env: ENV, flag: "reco" });
    await idle();
    assert.deepEqual(
      hook.received.map((r) => r.path),
      ["/product"],
      "routed by alertname to the product receiver",
    );
    const [alert] = (hook.received[0]?.body.alerts ?? []) as Array<{ labels: Record<string, string>; annotations: Record<string, string> }>;
    assert.equal(alert?.labels.severity, "info");
    assert.equal(alert?.annotations.description, markdown);

    for (let d = 0; d < 6; d++) await day(50);
    assert.equal(await reports.tick(), 0, "six days after the first report");
    await day(50);
    assert.equal(await reports.tick(), 1, "the second week's report");
    assert.equal((await f.events.query({ type: "flag.experiment.report", limit: 10 })).length, 2);
    await idle();
    assert.equal(hook.received.length, 2);
  });

  it("an experiment nobody was exposed to for a week is no longer running: no more reports", async () => {
    f.clock.advance(8 * DAY);
    assert.equal(await reports.tick(), 0);
    f.clock.advance(7 * DAY);
    assert.equal(await reports.tick(), 0);
  });

  it("the same report on demand (API and CLI) with the results behind it", async () => {
    const r = await reports.report("reco", ENV);
    assert.equal(r.results[0]?.metric, "purchase");
    assert.match(r.markdown, /## Rollout plan/);
  });
});
