import type { InfoNotice } from "../alerts/notify/info-notice.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { logger } from "../shared/logger.ts";
import type { FlagExperimentReportStore } from "./flag-experiment-report.store.ts";
import { renderReport } from "./flag-experiment-report.ts";
import type { FlagExperimentService } from "./flag-experiment.service.ts";
import type { ExperimentResults } from "./flag-experiment.view.ts";
import type { FlagRolloutStore } from "./flag-rollout.store.ts";

const DAY_MS = 86_400_000;
export const REPORT_EVERY_MS = 7 * DAY_MS;
/** Metrics a report covers, most events first: a report stays readable when an app tracks many. */
const MAX_METRICS = 5;
const ACTOR = "rampart";

export interface ExperimentReportDeps {
  experiments: FlagExperimentService;
  store: FlagExperimentReportStore;
  rollouts: FlagRolloutStore;
  events: EventLog;
  clock: Clock;
  /** Sends the weekly report to the alert receivers (alert notification's `inform`); absent in tests that do not look. */
  inform?: ((notice: InfoNotice) => void) | undefined;
}

export interface ExperimentReport {
  flag: string;
  env: string;
  generatedAt: number;
  markdown: string;
  /** The results behind it, one per metric (the first also gives exposure and retention). */
  results: ExperimentResults[];
}

/**
 * The weekly report of each running experiment (a flag with users first exposed in the last week): Markdown over
 * the API and CLI at any time, and once a week (a week after its first exposure, then every 7 days) written to the
 * event log (`flag.experiment.report`, with flag_experiment_reports in the same transaction) and sent to the alert
 * receivers as an info notice. `tick` is the weekly check; the control plane runs it every hour.
 */
export class FlagExperimentReports {
  readonly #deps: ExperimentReportDeps;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<number> | null = null;

  constructor(deps: ExperimentReportDeps) {
    this.#deps = deps;
  }

  async report(flag: string, env: string, options: { alpha?: number; mde?: number } = {}): Promise<ExperimentReport> {
    const now = this.#deps.clock.now();
    const stats = { alpha: options.alpha ?? 0.05, targetEffect: options.mde ?? 0.05 };
    const first = await this.#deps.experiments.results(flag, env, stats);
    const metrics = (await this.#deps.experiments.metrics(env, flag)).slice(0, MAX_METRICS);
    const results = [first];
    for (const metric of metrics.slice(1)) results.push(await this.#deps.experiments.results(flag, env, { ...stats, metric }));
    const rollout = await this.#deps.rollouts.latest(flag, env);
    return { flag, env, generatedAt: now, markdown: renderReport(results, rollout, now), results };
  }

  /** Writes the report of every running experiment whose week is over; returns how many were written. */
  tick(): Promise<number> {
    this.#ticking ??= this.#tick().finally(() => (this.#ticking = null));
    return this.#ticking;
  }

  async #tick(): Promise<number> {
    const now = this.#deps.clock.now();
    let written = 0;
    for (const x of await this.#deps.store.running(Math.floor((now - REPORT_EVERY_MS) / DAY_MS))) {
      const last = await this.#deps.store.lastAt(x.env, x.flag);
      const due = last === undefined ? x.firstDay * DAY_MS + REPORT_EVERY_MS : last + REPORT_EVERY_MS;
      if (now < due) continue;
      try {
        await this.#write(x.flag, x.env);
        written++;
      } catch (error) {
        logger.warn({ err: error, flag: x.flag, env: x.env }, "flags: weekly experiment report failed; retrying at the next check");
      }
    }
    return written;
  }

  async #write(flag: string, env: string): Promise<void> {
    const r = await this.report(flag, env);
    const summary = summaryOf(r);
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.store.insert(trx, { env, flag, at: r.generatedAt, markdown: r.markdown });
      await emit({
        type: "flag.experiment.report",
        env,
        actor: ACTOR,
        message: `weekly report of experiment ${flag} in ${env}: ${summary}`,
        data: { flag, markdown: r.markdown, metrics: r.results.map((x) => x.metric), summary },
      });
    });
    this.#deps.inform?.({
      name: "experiment_report",
      id: `${env}/${flag}/${r.generatedAt}`,
      summary: `Weekly experiment report: ${flag} in ${env}: ${summary}`,
      description: r.markdown,
      labels: { env, flag },
    });
  }

  start(checkEveryMs = 3_600_000): void {
    this.#timer ??= setInterval(() => void this.tick(), checkEveryMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
  }
}

/** One line: the primary metric's conversion decision per treatment. */
function summaryOf(r: ExperimentReport): string {
  const first = r.results[0];
  if (!first || first.metric === null) return "no events tracked yet";
  const decisions = first.comparisons.map((c) => `${c.variation} ${c.conversion.decision} on ${first.metric} conversion`);
  return decisions.length > 0 ? decisions.join("; ") : "one variation only";
}
