import { request } from "undici";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import type { Clock } from "../shared/clock.ts";
import { logger } from "../shared/logger.ts";
import { CumulativeDeltas } from "./metrics-cumulative.ts";
import type { MetricsStore } from "./metrics.store.ts";
import { parsePrometheusText } from "./prometheus-parser.ts";
import { ingestScrape } from "./scrape-ingest.ts";

export interface ScrapeTarget {
  path: string;
  intervalMs: number;
}

export interface ScraperDeps {
  store: MetricsStore;
  clock: Clock;
  instances: () => InstanceRecord[];
  /** The release's `metrics` setting; null when the app does not ask to be scraped. */
  targetOf: (instance: InstanceRecord) => Promise<ScrapeTarget | null>;
  /** The Accept header; SCRAPE_ACCEPT (OpenMetrics first) unless a test asks for one format. */
  accept?: string;
}

export const SCRAPE_UP = "rampart_scrape_up";
export const SCRAPE_SAMPLES = "rampart_scrape_samples";
export const SCRAPE_PROBLEMS = "rampart_scrape_problem_lines";
const MAX_BODY_BYTES = 10 * 1024 * 1024;
// Prometheus's own Accept order; the parser and scrape-ingest read both formats into the same series.
export const SCRAPE_ACCEPT = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1";

/**
 * Scrapes each live instance's own Prometheus endpoint at its app's interval (`metrics:` in the manifest)
 * and files the samples with env/app/release/instance labels. A failing or malformed endpoint is recorded
 * (`rampart_scrape_up` 0, problem lines counted, one log line per instance and error) and never stops the loop.
 */
export class Scraper {
  readonly #deps: ScraperDeps;
  readonly #deltas: CumulativeDeltas;
  readonly #next = new Map<string, number>();
  readonly #inflight = new Set<string>();
  readonly #lastError = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: ScraperDeps) {
    this.#deps = deps;
    this.#deltas = new CumulativeDeltas(deps.store.maxSeries);
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Starts the scrapes that are due; resolves when they have finished (tests await it). */
  async tick(): Promise<void> {
    const now = this.#deps.clock.now();
    const due: Promise<void>[] = [];
    const live = new Set<string>();
    for (const instance of this.#deps.instances()) {
      if (instance.status !== "healthy" && instance.status !== "unhealthy") continue;
      live.add(instance.id);
      if ((this.#next.get(instance.id) ?? 0) > now || this.#inflight.has(instance.id)) continue;
      due.push(this.#scrapeIfTarget(instance, now));
    }
    for (const id of this.#next.keys()) {
      if (live.has(id)) continue;
      this.#next.delete(id);
      this.#deltas.forget(`${id}|`);
    }
    await Promise.all(due);
  }

  async #scrapeIfTarget(instance: InstanceRecord, now: number): Promise<void> {
    this.#inflight.add(instance.id);
    try {
      const target = await this.#deps.targetOf(instance);
      // Not scraped: look again in a minute (a new release of the same instance id gets a new record anyway).
      this.#next.set(instance.id, now + (target?.intervalMs ?? 60_000));
      if (target) await this.scrape(instance, target);
    } catch (error) {
      logger.warn({ err: error, instance: instance.id }, "metrics scrape target lookup failed");
    } finally {
      this.#inflight.delete(instance.id);
    }
  }

  async scrape(instance: InstanceRecord, target: ScrapeTarget): Promise<void> {
    const labels = { env: instance.env, app: instance.app, release: String(instance.release), instance: instance.id };
    const sec = Math.floor(this.#deps.clock.now() / 1000);
    try {
      const timeout = Math.min(target.intervalMs, 10_000);
      const response = await request(`http://127.0.0.1:${instance.port}${target.path}`, {
        headers: { accept: this.#deps.accept ?? SCRAPE_ACCEPT },
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new Error(`HTTP ${response.statusCode} from ${target.path}`);
      }
      const length = Number(response.headers["content-length"] ?? 0);
      if (length > MAX_BODY_BYTES) {
        await response.body.dump();
        throw new Error(`${target.path} sent ${length} bytes (at most ${MAX_BODY_BYTES})`);
      }
      const text = await response.body.text();
      if (text.length > MAX_BODY_BYTES) throw new Error(`${target.path} sent more than ${MAX_BODY_BYTES} bytes`);
      const parsed = parsePrometheusText(text);
      const stored = ingestScrape(
        this.#deps.store,
        (key, values) => this.#deltas.delta(`${instance.id}|${key}`, values),
        parsed,
        labels,
        sec,
      );
      this.#deps.store.setGauge(SCRAPE_UP, labels, sec, 1);
      this.#deps.store.setGauge(SCRAPE_SAMPLES, labels, sec, stored);
      this.#deps.store.setGauge(SCRAPE_PROBLEMS, labels, sec, parsed.problems.length);
      const first = parsed.problems[0];
      this.#report(
        instance.id,
        first ? `${target.path} line ${first.line}: ${first.message} (${parsed.problems.length} bad line(s) skipped)` : undefined,
      );
    } catch (error) {
      this.#deps.store.setGauge(SCRAPE_UP, labels, sec, 0);
      this.#report(instance.id, error instanceof Error ? error.message : String(error));
    }
  }

  /** Logs a problem once when it appears or changes, not on every scrape. */
  #report(id: string, problem: string | undefined): void {
    if (problem === this.#lastError.get(id)) return;
    if (problem === undefined) this.#lastError.delete(id);
    else {
      this.#lastError.set(id, problem);
      logger.warn({ instance: id }, `metrics scrape: ${problem}`);
    }
  }
}
