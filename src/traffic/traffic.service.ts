import type { Db } from "../db/database.ts";
import type { Emit, EventLog } from "../events/event-log.ts";
import type { TrafficControl } from "../runtime/instance-supervisor.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import type { Clock } from "../shared/clock.ts";
import type { TrafficStore } from "./traffic.store.ts";
import type { TrafficChange, TrafficState } from "./traffic.types.ts";

/** What pushes the table to the edge and reads its in-flight counts (the edge controller, or a fake). */
export interface TrafficPusher {
  /** Rebuilds the routing table from the current state and resolves once the edge has applied it. */
  applyRouting(): Promise<void>;
  /** Requests the edge has in flight to this instance right now (never drains the per-second stats). */
  inflight(instanceId: string): Promise<number>;
}

export interface TrafficServiceDeps {
  store: TrafficStore;
  events: EventLog;
  clock: Clock;
  pusher: TrafficPusher;
}

export interface TrafficSetOptions {
  /** Why, for the event (e.g. "canary step 2: 25%"). */
  reason: string;
  actor?: string;
  release?: number;
  /** More writes of the same change (the rollout's progress, release statuses), in the same transaction. */
  also?: (trx: Db, emit: Emit, trafficChanged: boolean) => Promise<void>;
}

/**
 * The one owner of where requests go: the instances in rotation and the release weights per environment and
 * app. Every change is one `set` that writes the new state with a `traffic.changed` event (before and after)
 * in one transaction, then pushes the table. The state is cached: the table builder and the supervisor read it
 * synchronously, and only this service writes it.
 */
export class TrafficService implements TrafficControl {
  readonly #deps: TrafficServiceDeps;
  readonly #states = new Map<string, TrafficState>();
  #loaded = false;

  constructor(deps: TrafficServiceDeps) {
    this.#deps = deps;
  }

  /** Reads the persisted state (before anything routes). */
  async load(): Promise<void> {
    this.#states.clear();
    for (const state of await this.#deps.store.all()) this.#states.set(key(state.env, state.app), state);
    this.#loaded = true;
  }

  get(env: string, app: string): TrafficState {
    return this.#states.get(key(env, app)) ?? { env, app, routable: [], weights: null, updatedAt: 0 };
  }

  all(): TrafficState[] {
    return [...this.#states.values()];
  }

  isRoutable(instance: { env: string; app: string; id: string }): boolean {
    return this.get(instance.env, instance.app).routable.includes(instance.id);
  }

  /** Changes where traffic goes (persisted with its event), then pushes the table and waits for the edge. */
  async set(env: string, app: string, change: TrafficChange, options: TrafficSetOptions): Promise<void> {
    if (!this.#loaded) await this.load();
    const before = this.get(env, app);
    const after = apply(before, change, this.#deps.clock.now());
    const changed = !sameRouting(before, after);
    await this.#deps.events.transact(async (trx, emit) => {
      if (changed) {
        await this.#deps.store.put(trx, after);
        await emit({
          type: "traffic.changed",
          env,
          app,
          release: options.release,
          actor: options.actor,
          message: `${app} in ${env}: ${describe(after)} (${options.reason})`,
          data: { before: routingOf(before), after: routingOf(after), reason: options.reason },
        });
      }
      await options.also?.(trx, emit, changed);
    });
    if (changed) this.#states.set(key(env, app), after);
    await this.#deps.pusher.applyRouting();
  }

  /** An instance leaving for good (drained, stopped) leaves the rotation too. */
  takeOut(instance: InstanceRecord, reason: string): Promise<void> {
    return this.set(instance.env, instance.app, { remove: [instance.id] }, { reason, release: instance.release });
  }

  applyRouting(): Promise<void> {
    return this.#deps.pusher.applyRouting();
  }

  inflight(instanceId: string): Promise<number> {
    return this.#deps.pusher.inflight(instanceId);
  }
}

function key(env: string, app: string): string {
  return `${env}\u0000${app}`;
}

function apply(before: TrafficState, change: TrafficChange, now: number): TrafficState {
  const leaving = new Set(change.remove ?? []);
  const routable = before.routable.filter((id) => !leaving.has(id));
  for (const id of change.add ?? []) if (!routable.includes(id)) routable.push(id);
  routable.sort();
  const weights = change.weights === undefined ? before.weights : change.weights;
  return { env: before.env, app: before.app, routable, weights, updatedAt: now };
}

function routingOf(state: TrafficState): { routable: string[]; weights: Record<string, number> | null } {
  return { routable: state.routable, weights: state.weights };
}

function sameRouting(a: TrafficState, b: TrafficState): boolean {
  return JSON.stringify(routingOf(a)) === JSON.stringify(routingOf(b));
}

function describe(state: TrafficState): string {
  const weights = state.weights
    ? `, split ${Object.entries(state.weights)
        .map(([release, weight]) => `release ${release}: ${weight}`)
        .join(" / ")}`
    : "";
  return `${state.routable.length} instance(s) in rotation${weights}`;
}
