import type { Manifest } from "../config/resolved-manifest.schema.ts";
import type { EventLog } from "../events/event-log.ts";
import { RampartError } from "../shared/errors.ts";
import type { TimerClock } from "../shared/clock.ts";
import { evaluate } from "./check-condition.ts";
import { type CheckState, initialState, nextState, type Transition } from "./check-state.ts";
import { checkKey, type HeartbeatTarget, heartbeatTargets, type HttpCheckTarget, httpTargets } from "./check-targets.ts";
import type { ChecksStore } from "./checks.store.ts";
import { CHECK_LATENCY, CHECK_RESULTS, CHECK_UP, type CheckKind, type CheckResult, type CheckView } from "./checks.types.ts";
import type { BrowserProber } from "./browser-probe.ts";
import type { Prober } from "./http-probe.ts";
import { type PeriodicLoop, periodicLoop } from "../shared/periodic-loop.ts";

const TICK_MS = 1000;
const KEEP_RESULTS_MS = 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;

/** Where check results go as metrics (the telemetry module's MetricsStore). */
export interface CheckMetricsSink {
  addCounter(name: string, labels: Record<string, string>, sec: number, delta: number): void;
  setGauge(name: string, labels: Record<string, string>, sec: number, value: number): void;
}

export interface ChecksServiceDeps {
  manifest(): Manifest;
  store: ChecksStore;
  events: EventLog;
  clock: TimerClock;
  prober: Prober;
  /** Runs browser checks' steps (Chromium through playwright-core). */
  browserProber?: BrowserProber;
  /**
   * Whether the app runs in the environment: "live" with a healthy instance, "starting" with instances none of
   * which is healthy, "none" without. Checks begin once it is live (a first deploy's start-up is no failure) and
   * go on while it has instances (an app whose instances all crash must fail its checks); not deployed: no checks.
   */
  serving(env: string, app: string): AppPresence;
  metrics?: CheckMetricsSink;
  /** Added to checks through the edge (X-Rampart-Probe: the edge then leaves them out of the apps' measurements). */
  probeHeaders?: Record<string, string>;
}

export type AppPresence = "live" | "starting" | "none";

/** The summary the alert rules read (src/alerts/): one entry per check, `ok` false while it is failing. */
export interface CheckStatus {
  env: string;
  app: string;
  name: string;
  kind: CheckKind;
  ok: boolean;
  since: number;
  consecutiveFailures: number;
}

interface Tracked {
  kind: CheckKind;
  target: string;
  origin: "default" | "custom";
  env: string;
  app: string;
  name: string;
  state: CheckState;
  last: CheckResult | null;
  nextAt: number;
  inFlight: boolean;
  /** Heartbeats only: when the deadline is counted from (last ping, else when monitoring began). */
  lastPingAt: number;
}

/**
 * Runs the synthetic checks: each HTTP check on its interval through the prober, each heartbeat against its
 * deadline. Results are measurements (check_results, metrics); only state changes (ok → failing → ok) are events.
 */
export class ChecksService {
  readonly #deps: ChecksServiceDeps;
  readonly #tracked = new Map<string, Tracked>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #loop: PeriodicLoop;
  /** env/app pairs that have been live and still have instances. */
  readonly #watched = new Set<string>();
  #nextPruneAt = 0;

  constructor(deps: ChecksServiceDeps) {
    this.#deps = deps;
    // A failed tick is tried again at the next one; a probe's own failure is a result, not an error.
    this.#loop = periodicLoop(
      deps.clock,
      TICK_MS,
      () => this.tick(),
      () => undefined,
    );
  }

  /** Resumes heartbeats from their last pings and each check's state from its last transition event. */
  async start(): Promise<void> {
    const now = this.#deps.clock.now();
    for (const ping of await this.#deps.store.latest("heartbeat")) this.#seedPing.set(checkKey(ping.env, ping.app, ping.name), ping);
    const transitions = await this.#deps.events.query({ type: "check.", since: now - 30 * 24 * 3_600_000, limit: 10_000 });
    for (const event of transitions) {
      const name = event.data.name;
      if (event.env === null || event.app === null || typeof name !== "string") continue;
      this.#seedState.set(checkKey(event.env, event.app, name), {
        state: event.type === "check.failed" ? "failing" : "ok",
        since: event.at,
        consecutiveFailures: 0,
        consecutiveSuccesses: 0,
      });
    }
  }

  readonly #seedPing = new Map<string, CheckResult>();
  readonly #seedState = new Map<string, CheckState>();

  run(): void {
    this.#loop.start();
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
    await this.idle();
  }

  /** Resolves when no probe is in flight (tests drive `tick` with a fake clock and wait here). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** One round: starts the checks that are due, fails overdue heartbeats, prunes old results now and then. */
  async tick(): Promise<void> {
    const now = this.#deps.clock.now();
    const manifest = this.#deps.manifest();
    const wanted = new Set<string>();
    for (const target of httpTargets(manifest, (env, app) => this.#watch(env, app))) {
      wanted.add(target.key);
      const tracked = this.#track(target.key, "http", target, target.description, now);
      if (tracked.inFlight || tracked.nextAt > now) continue;
      tracked.inFlight = true;
      tracked.nextAt = now + target.intervalMs;
      const probe = this.#probe(tracked, target).finally(() => {
        tracked.inFlight = false;
        this.#inFlight.delete(probe);
      });
      this.#inFlight.add(probe);
    }
    for (const target of heartbeatTargets(manifest)) {
      // An external job may report for an environment the app is not deployed in: a first ping starts the watch.
      if (!this.#watch(target.env, target.app) && !this.#tracked.has(target.key) && !this.#seedPing.has(target.key)) continue;
      wanted.add(target.key);
      const tracked = this.#track(target.key, "heartbeat", target, heartbeatDescription(target), now);
      if (now > tracked.lastPingAt + target.everyMs + target.graceMs && tracked.state.state !== "failing") {
        const overdue = `no ping since ${new Date(tracked.lastPingAt).toISOString()} (expected every ${seconds(target.everyMs)}, grace ${seconds(target.graceMs)})`;
        await this.#settle(tracked, { ok: false, status: null, latencyMs: null, message: overdue }, now, {
          failureThreshold: 1,
          successThreshold: 1,
        });
      }
    }
    for (const key of this.#tracked.keys()) if (!wanted.has(key)) this.#tracked.delete(key);
    this.#publishGauges(now);
    if (now >= this.#nextPruneAt) {
      this.#nextPruneAt = now + PRUNE_EVERY_MS;
      await this.#deps.store.prune(now - KEEP_RESULTS_MS);
    }
  }

  #watch(env: string, app: string): boolean {
    const key = `${env}/${app}`;
    const presence = this.#deps.serving(env, app);
    if (presence === "live") this.#watched.add(key);
    if (presence === "none") this.#watched.delete(key);
    return this.#watched.has(key);
  }

  /** The declared heartbeat, or unknown_heartbeat naming the declared ones. */
  heartbeat(env: string, app: string, name: string): HeartbeatTarget {
    const manifest = this.#deps.manifest();
    const target = heartbeatTargets(manifest).find((t) => t.env === env && t.app === app && t.name === name);
    if (target === undefined) {
      const declared = heartbeatTargets(manifest)
        .filter((t) => t.env === env && t.app === app)
        .map((t) => t.name);
      throw new RampartError(
        "unknown_heartbeat",
        `heartbeat "${name}" of app "${app}" in environment "${env}" is not in ${manifest.path}`,
        {
          hint:
            declared.length > 0
              ? `heartbeats of ${app}: ${declared.join(", ")}`
              : `declare it: apps.${app}.heartbeats: [{ name: ${name}, every: 5m }]`,
        },
      );
    }
    return target;
  }

  /** A job reporting in (POST /api/v1/heartbeats/:env/:app/:name, or its ping URL). */
  async ping(env: string, app: string, name: string, actor: string): Promise<CheckView> {
    const target = this.heartbeat(env, app, name);
    const now = this.#deps.clock.now();
    const tracked = this.#track(target.key, "heartbeat", target, heartbeatDescription(target), now);
    tracked.lastPingAt = now;
    await this.#settle(tracked, { ok: true, status: null, latencyMs: null, message: `ping from ${actor}` }, now, {
      failureThreshold: 1,
      successThreshold: 1,
    });
    return this.#view(tracked);
  }

  list(filter: { env?: string; app?: string } = {}): CheckView[] {
    return [...this.#tracked.values()]
      .filter((t) => (filter.env === undefined || t.env === filter.env) && (filter.app === undefined || t.app === filter.app))
      .map((t) => this.#view(t));
  }

  /** For alert rules over checks. */
  checkResults(): CheckStatus[] {
    return [...this.#tracked.values()].map((t) => ({
      env: t.env,
      app: t.app,
      name: t.name,
      kind: t.kind,
      ok: t.state.state !== "failing",
      since: t.state.since,
      consecutiveFailures: t.state.consecutiveFailures,
    }));
  }

  #track(key: string, kind: CheckKind, where: { env: string; app: string; name: string }, target: string, now: number): Tracked {
    const existing = this.#tracked.get(key);
    if (existing !== undefined && existing.kind === kind) {
      existing.target = target;
      return existing;
    }
    const seedPing = this.#seedPing.get(key);
    const tracked: Tracked = {
      kind,
      target,
      origin: "origin" in where && where.origin === "default" ? "default" : "custom",
      env: where.env,
      app: where.app,
      name: where.name,
      state: this.#seedState.get(key) ?? initialState(now),
      last: seedPing ?? null,
      nextAt: now,
      inFlight: false,
      lastPingAt: seedPing?.at ?? now,
    };
    this.#tracked.set(key, tracked);
    return tracked;
  }

  async #probe(tracked: Tracked, target: HttpCheckTarget): Promise<void> {
    const request = {
      url: target.url,
      method: target.method,
      // Only to our own edge: a `url` check's host must never see the token.
      headers: target.throughEdge ? { ...target.headers, ...this.#deps.probeHeaders } : target.headers,
      body: target.body,
      timeoutMs: target.timeoutMs,
      verifyTls: target.verifyTls,
    };
    const browser = this.#deps.browserProber;
    const result =
      target.browser === null
        ? await this.#deps.prober(request)
        : browser === undefined
          ? { status: null, elapsedMs: 0, bodyText: "", certificateExpiresAt: null, error: "browser checks are not available here" }
          : await browser({ base: target.url, steps: target.browser, timeoutMs: target.timeoutMs }).catch((error: unknown) => ({
              status: null,
              elapsedMs: 0,
              bodyText: "",
              certificateExpiresAt: null,
              error: `the browser failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
            }));
    const now = this.#deps.clock.now();
    const outcomes = target.conditions.map((condition) => evaluate(condition, result, now));
    const failed = outcomes.filter((o) => !o.ok);
    const ok = failed.length === 0;
    const message = ok ? `${target.conditions.map((c) => c.text).join(", ")}: ok` : failed.map((o) => o.message).join("; ");
    const latencyMs = result.status === null ? null : result.elapsedMs;
    const sec = Math.floor(now / 1000);
    const labels = { env: target.env, app: target.app, check: target.name };
    this.#deps.metrics?.addCounter(CHECK_RESULTS, { ...labels, result: ok ? "success" : "failure" }, sec, 1);
    if (latencyMs !== null) this.#deps.metrics?.setGauge(CHECK_LATENCY, labels, sec, latencyMs / 1000);
    await this.#settle(tracked, { ok, status: result.status, latencyMs, message }, now, target);
  }

  async #settle(
    tracked: Tracked,
    outcome: { ok: boolean; status: number | null; latencyMs: number | null; message: string },
    now: number,
    thresholds: { failureThreshold: number; successThreshold: number },
  ): Promise<void> {
    const result: CheckResult = { at: now, env: tracked.env, app: tracked.app, name: tracked.name, kind: tracked.kind, ...outcome };
    const { state, transition } = nextState(tracked.state, outcome.ok, now, thresholds);
    tracked.state = state;
    tracked.last = result;
    await this.#deps.store.record(result);
    if (transition !== null) await this.#deps.events.append(this.#event(tracked, result, transition));
  }

  #event(tracked: Tracked, result: CheckResult, transition: Exclude<Transition, null>) {
    const what = `${tracked.kind === "heartbeat" ? "heartbeat" : "check"} ${tracked.app}/${tracked.name} in ${tracked.env}`;
    const message =
      transition === "failed"
        ? `${what} is failing after ${tracked.state.consecutiveFailures} failure${tracked.state.consecutiveFailures === 1 ? "" : "s"}: ${result.message}`
        : `${what} recovered after ${tracked.state.consecutiveSuccesses} success${tracked.state.consecutiveSuccesses === 1 ? "" : "es"}`;
    return {
      type: transition === "failed" ? ("check.failed" as const) : ("check.recovered" as const),
      env: tracked.env,
      app: tracked.app,
      actor: "rampart",
      message,
      data: {
        name: tracked.name,
        kind: tracked.kind,
        target: tracked.target,
        status: result.status,
        latencyMs: result.latencyMs,
        result: result.message,
      },
    };
  }

  #publishGauges(now: number): void {
    const sec = Math.floor(now / 1000);
    for (const t of this.#tracked.values()) {
      if (t.state.state === "pending") continue;
      this.#deps.metrics?.setGauge(CHECK_UP, { env: t.env, app: t.app, check: t.name }, sec, t.state.state === "ok" ? 1 : 0);
    }
  }

  #view(t: Tracked): CheckView {
    const last = t.last;
    return {
      env: t.env,
      app: t.app,
      name: t.name,
      kind: t.kind,
      origin: t.origin,
      target: t.target,
      state: t.state.state,
      since: t.state.since,
      consecutiveFailures: t.state.consecutiveFailures,
      lastResult:
        last === null ? null : { at: last.at, ok: last.ok, status: last.status, latencyMs: last.latencyMs, message: last.message },
    };
  }
}

function heartbeatDescription(target: HeartbeatTarget): string {
  return `every ${seconds(target.everyMs)} (grace ${seconds(target.graceMs)})`;
}

function seconds(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}
