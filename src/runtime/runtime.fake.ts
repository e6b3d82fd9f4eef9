import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import type { TrafficControl } from "./instance-supervisor.ts";
import type { InstanceStore } from "./instance.store.ts";
import type { InstanceRecord, InstanceStatus } from "./instance.types.ts";

/**
 * The supervisor's face to the rollout engine (launch, list, drainAndStop), without processes: instances are
 * records that become healthy at once (or as the test says), persisted with their events like the real ones, so
 * a new FakeRuntime on the same database "re-adopts" them. `freeze()` makes every later call hang, as if the
 * control plane had been killed at that point.
 */
export class FakeRuntime {
  readonly #deps: { store: InstanceStore; events: EventLog; clock: Clock; traffic: TrafficControl };
  readonly #instances = new Map<string, InstanceRecord>();
  /** The status a newly launched instance reaches (healthy unless a test wants it to crash). */
  launchAs: InstanceStatus = "healthy";
  frozen = false;

  constructor(deps: { store: InstanceStore; events: EventLog; clock: Clock; traffic: TrafficControl }) {
    this.#deps = deps;
  }

  /**
   * Takes over the instances a previous control plane left (all those not stopped); one it left starting passes
   * its health check now, and one it left draining is stopped, as the real supervisor's would.
   */
  async adoptAll(): Promise<void> {
    for (const record of await this.#deps.store.listActive()) {
      this.#instances.set(record.id, record);
      if (record.status === "starting") await this.setStatus(record.id, this.launchAs);
      if (record.status === "stopping") await this.drainAndStop(record.id, "control plane restarted while draining");
    }
  }

  list(): InstanceRecord[] {
    return [...this.#instances.values()];
  }

  isRoutable(record: InstanceRecord): boolean {
    return this.#deps.traffic.isRoutable(record);
  }

  async launch(input: { env: string; app: string; release: number; slot: number }): Promise<InstanceRecord> {
    await this.#alive();
    const id = `${input.env}.${input.app}.r${input.release}.${input.slot}`;
    const now = this.#deps.clock.now();
    const record: InstanceRecord = {
      ...input,
      id,
      port: 40_000 + input.release * 10 + input.slot,
      status: "starting",
      pid: null,
      pidStart: null,
      runnerPid: null,
      runnerStart: null,
      restarts: 0,
      startedAt: now,
      updatedAt: now,
      logPath: `/nonexistent/${id}.log`,
      stateDir: `/nonexistent/${id}`,
      lastExit: null,
    };
    // Like the supervisor: a slot stopped earlier keeps its id when its release comes back, its row reused.
    const previous = await this.#deps.store.get(id);
    if (previous && previous.status !== "stopped") throw new Error(`instance ${id} already exists (${previous.status})`);
    await this.#deps.events.transact(async (trx, emit) => {
      if (previous) {
        const { id: _id, env: _env, app: _app, release: _release, slot: _slot, ...fresh } = record;
        await this.#deps.store.update(trx, id, fresh);
      } else await this.#deps.store.insert(trx, record);
      await emit({ ...labels(record), type: "instance.created", message: `${previous ? "re-created" : "created"} ${id}` });
    });
    this.#instances.set(id, record);
    await this.setStatus(id, this.launchAs);
    return record;
  }

  /** Moves an instance to a status, persisted with its event (a crash, a failed health check …). */
  async setStatus(id: string, status: InstanceStatus): Promise<void> {
    await this.#alive();
    const record = this.#instances.get(id);
    if (!record) return;
    const next = { ...record, status, updatedAt: this.#deps.clock.now() };
    const type =
      status === "healthy"
        ? "instance.healthy"
        : status === "failed"
          ? "instance.crash_loop"
          : status === "stopping"
            ? "instance.draining"
            : status === "crashed"
              ? "instance.crashed"
              : "instance.unhealthy";
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.store.update(trx, id, { status, updatedAt: next.updatedAt });
      await emit({ ...labels(next), type, message: `${id} is ${status}` });
    });
    this.#instances.set(id, next);
  }

  async drainAndStop(id: string, reason: string): Promise<void> {
    await this.#alive();
    const record = this.#instances.get(id);
    if (!record) return;
    await this.setStatus(id, "stopping");
    await this.#deps.traffic.takeOut(record, `draining ${id}: ${reason}`);
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.store.update(trx, id, { status: "stopped", updatedAt: this.#deps.clock.now() });
      await emit({ ...labels(record), type: "instance.stopped", message: `stopped ${id}: ${reason}` });
    });
    this.#instances.delete(id);
  }

  async #alive(): Promise<void> {
    if (this.frozen) await new Promise<never>(() => {});
  }
}

function labels(record: InstanceRecord) {
  return { env: record.env, app: record.app, release: record.release, instance: record.id };
}
