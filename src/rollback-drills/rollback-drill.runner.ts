import type { OpenLoopMeasurements, OpenLoopOptions } from "../loadtest/open-loop.ts";
import type { ReleaseView } from "../releases/release.types.ts";
import type { TimerClock } from "../shared/clock.ts";
import type { ServedCounter } from "./served-counter.ts";
import type { DrillPhase, DrillResult } from "./rollback-drill.types.ts";

export interface DrillRunnerDeps {
  clock: TimerClock;
  /** A new release of the live one: same artifact, same config (the release service's reconfigure). */
  redeploy(env: string, app: string, actor: string): Promise<ReleaseView | null>;
  rollback(env: string, app: string, actor: string): Promise<ReleaseView>;
  release(env: string, app: string, number: number): Promise<ReleaseView>;
  /** Releases the routing table sends this app's requests to now (healthy routable instances, weight above 0). */
  routedReleases(env: string, app: string): number[];
  load(options: OpenLoopOptions): Promise<OpenLoopMeasurements>;
  served: ServedCounter;
}

export interface DrillRun {
  env: string;
  app: string;
  actor: string;
  url: string;
  rate: number;
  previousRelease: number;
  onPhase(phase: DrillPhase): void;
  /** Aborted when the control plane stops: the drill ends as failed, the load stops. */
  signal: AbortSignal;
}

/** Longest a deploy or a rollback of the drill may take before the drill fails. */
const STEP_TIMEOUT_MS = 10 * 60_000;
/** Load keeps going this long after the switch, so the edge's counts show who serves afterwards. */
const AFTER_SWITCH_MS = 2_500;
/** Requests routed just before the switch may still finish in the second after it. */
const SWITCH_GRACE_MS = 1_000;
const POLL_MS = 20;

/**
 * One rollback drill: paced load through the edge the whole time; a new release of the live artifact, rolled out as
 * any deploy; then `rollback`, timed from the command to the moment the routing table sends every request to the
 * release that brings the previous artifact back, and to the drilled release drained. The edge's own per-release
 * counts after the switch confirm nobody else served. Throws with what went wrong; `partial` keeps what was measured.
 */
export async function runRollbackDrill(deps: DrillRunnerDeps, run: DrillRun): Promise<DrillResult> {
  const { env, app, actor } = run;
  const stop = new AbortController();
  const loading = deps.load({ url: run.url, rate: run.rate, durationMs: 24 * 3_600_000, timeoutMs: 10_000, signal: stop.signal });
  const result: DrillResult = {
    deployedRelease: null,
    rollbackRelease: null,
    previousRelease: run.previousRelease,
    rate: run.rate,
    url: run.url,
    sent: 0,
    failed: 0,
    statuses: {},
    deployMs: null,
    rollbackMs: null,
    drainedMs: null,
    servedAfterSwitch: {},
  };
  let failure: unknown = null;
  try {
    run.onPhase("deploying");
    const deployStart = deps.clock.now();
    const deployed = await deps.redeploy(env, app, actor);
    if (!deployed) throw new Error(`${app} has no live release in ${env} to drill`);
    result.deployedRelease = deployed.number;
    await untilDone(deps, deployed, "the drilled deploy", run.signal);
    result.deployMs = deps.clock.now() - deployStart;

    run.onPhase("rolling_back");
    const rollbackStart = deps.clock.now();
    const back = await deps.rollback(env, app, actor);
    result.rollbackRelease = back.number;
    const switchedAt = await until(
      deps,
      async () => {
        const routed = deps.routedReleases(env, app);
        if (routed.length > 0 && routed.every((r) => r === back.number)) return deps.clock.now();
        // A rollback that fails never takes the traffic: say so now rather than at the step's timeout.
        await assertNotFailed(deps, back, "the rollback");
        return undefined;
      },
      `release ${back.number} serving every request of ${app} in ${env}`,
      STEP_TIMEOUT_MS,
      run.signal,
    );
    result.rollbackMs = switchedAt - rollbackStart;
    deps.served.countFrom(switchedAt + SWITCH_GRACE_MS);

    run.onPhase("draining");
    await untilDone(deps, back, "the rollback", run.signal);
    result.drainedMs = deps.clock.now() - rollbackStart;
    while (deps.clock.now() < switchedAt + AFTER_SWITCH_MS && !run.signal.aborted) await deps.clock.sleep(POLL_MS * 5);
  } catch (error) {
    failure = error;
  }
  stop.abort();
  const measured = await loading;
  // The edge reports each second; the last requests' counts arrive with the next collection.
  const loadEnded = deps.clock.now();
  await until(deps, () => (deps.served.lastAt() >= loadEnded ? true : undefined), "the edge's counts", 3_000).catch(() => undefined);
  result.sent = measured.sent;
  result.failed = measured.errors;
  result.statuses = measured.statuses;
  result.servedAfterSwitch = deps.served.counts();
  if (failure !== null) throw new DrillFailed(failure instanceof Error ? failure.message : String(failure), result);
  return result;
}

/** A drill that did not finish; `result` holds what it measured until then. */
export class DrillFailed extends Error {
  readonly result: DrillResult;
  constructor(message: string, result: DrillResult) {
    super(message);
    this.result = result;
  }
}

async function assertNotFailed(deps: DrillRunnerDeps, release: ReleaseView, what: string): Promise<ReleaseView> {
  const current = await deps.release(release.env, release.app, release.number);
  if (current.status === "failed" || current.status === "rolled_back")
    throw new Error(`${what}: release ${current.number} ${current.status}: ${current.reason ?? "no reason recorded"}`);
  return current;
}

async function untilDone(deps: DrillRunnerDeps, release: ReleaseView, what: string, signal: AbortSignal): Promise<void> {
  await until(
    deps,
    async () => {
      const current = await assertNotFailed(deps, release, what);
      const state = current.rollout?.state;
      return current.status === "live" && (state === undefined || state === "completed" || state === "warm") ? true : undefined;
    },
    `${what} (release ${release.number} live)`,
    STEP_TIMEOUT_MS,
    signal,
  );
}

async function until<T>(
  deps: DrillRunnerDeps,
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = STEP_TIMEOUT_MS,
  signal?: AbortSignal,
) {
  const deadline = deps.clock.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const value = await check();
    if (value !== undefined) return value;
    if (deps.clock.now() >= deadline) throw new Error(`gave up waiting for ${what} after ${Math.round(timeoutMs / 1000)} s`);
    await deps.clock.sleep(POLL_MS);
  }
}
