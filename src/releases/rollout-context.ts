import type { InstanceRecord } from "../runtime/instance.types.ts";
import type { ReleaseRecord } from "./release.types.ts";
import type { RolloutData, RolloutRecord } from "./rollout.types.ts";

/** What a strategy may do while it moves traffic; the engine implements it. */
export interface StrategyContext {
  readonly release: ReleaseRecord;
  /** The rollout as last read (control flags included). */
  rollout(): RolloutRecord;
  /** Re-reads the rollout, for flags set by `rampart rollout … pause|resume|promote|abort`. */
  reload(): Promise<RolloutRecord>;
  /** The new release's instances, by slot. */
  fresh(): InstanceRecord[];
  /** The running instances of the release being replaced. */
  stable(): InstanceRecord[];
  /**
   * Puts instances in or out of rotation (a traffic change) and waits until the edge has the new table. With
   * `step`, the rollout moves to that step in the same transaction: after a crash the traffic and the step agree,
   * so a resumed rollout neither repeats nor skips it.
   */
  route(on: InstanceRecord[], off: InstanceRecord[], data?: Partial<RolloutData>, step?: { step: number; message: string }): Promise<void>;
  /** Persists step k (with a progress line and data) and records it as an event. */
  advance(step: number, message: string, data?: Partial<RolloutData>): Promise<void>;
  /** Persists a progress line and data without an event (frequent updates such as the latest verdict). */
  note(message: string, data?: Partial<RolloutData>): Promise<void>;
  /** Watches the new instances under traffic for `ms`; throws on abort; returns early on promote. */
  hold(ms: number): Promise<void>;
  /** Whether the traffic state has the instance in rotation. */
  routable(instance: InstanceRecord): boolean;
  now(): number;
  /** Waits on the engine's clock (a fake clock in unit tests). */
  sleep(ms: number): Promise<void>;
}

/** Stops the rollout before the new release took traffic: the release failed. */
export class RolloutFailure extends Error {}

/** Stops the rollout after the new release took traffic: traffic goes back, the release is rolled back. */
export class RolloutRollback extends Error {
  readonly verdict: Record<string, unknown> | undefined;
  readonly by: string;

  constructor(reason: string, options: { verdict?: Record<string, unknown>; by?: string } = {}) {
    super(reason);
    this.verdict = options.verdict;
    this.by = options.by ?? "rampart";
  }
}

/** Throws when the new release misbehaves under traffic, or an abort was asked for. */
export function checkUnderTraffic(ctx: StrategyContext): void {
  const abort = ctx.rollout().data.abortRequested;
  if (abort) throw new RolloutRollback(`aborted by ${abort.by}: ${abort.reason}`, { by: abort.by });
  const bad = ctx.fresh().find((i) => ctx.routable(i) && i.status !== "healthy");
  if (bad)
    throw new RolloutRollback(`instance ${bad.id} became ${bad.status} while taking traffic${bad.lastExit ? ` (${bad.lastExit})` : ""}`);
}
