import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import type { FlagAccessStore } from "./flag-access.store.ts";
import type { SdkTokenAuth } from "./flag-sdk-auth.ts";
import type { FlagSnapshots } from "./flag-snapshots.ts";

const SDK_ACTOR = "sdk:";

/** The SDK-token side of the JSON API: evaluation counts for stale detection. */
export class FlagSdkService {
  readonly #auth: SdkTokenAuth;
  readonly #access: FlagAccessStore;
  readonly #snapshots: FlagSnapshots;
  readonly #events: EventLog;
  readonly #clock: Clock;

  constructor(deps: { auth: SdkTokenAuth; access: FlagAccessStore; snapshots: FlagSnapshots; events: EventLog; clock: Clock }) {
    this.#auth = deps.auth;
    this.#access = deps.access;
    this.#snapshots = deps.snapshots;
    this.#events = deps.events;
    this.#clock = deps.clock;
  }

  /** The route actor of an SDK token: `sdk:<env>`. */
  async actorOf(authorization: string | undefined): Promise<string> {
    return `${SDK_ACTOR}${await this.#auth.envOf(authorization)}`;
  }

  /** Adds the counts of flags that exist in the token's environment; others (typos, deleted flags) are not kept. */
  async metrics(
    actor: string,
    body: { fromMs: number; toMs: number; counts: Array<{ flag: string; variation: string; count: number }> },
  ): Promise<{ accepted: number }> {
    const env = actor.slice(SDK_ACTOR.length);
    const compiled = await this.#snapshots.compiled(env);
    const merged = new Map<string, { flag: string; variation: string; count: number }>();
    for (const c of body.counts) {
      if (c.count === 0 || !compiled.flags.has(c.flag)) continue;
      const key = `${c.flag}\u0000${c.variation}`;
      const entry = merged.get(key) ?? { flag: c.flag, variation: c.variation, count: 0 };
      entry.count += c.count;
      merged.set(key, entry);
    }
    const counts = [...merged.values()];
    if (counts.length > 0) {
      // Filed at the server's time: an SDK's clock may be off, and "last evaluated" must compare with ours.
      const at = this.#clock.now();
      // No event: evaluation counts are measurements, not changes, and would drown the timeline.
      await this.#events.transact((trx) => this.#access.addUsage(trx, env, counts, at));
    }
    return { accepted: counts.length };
  }
}
