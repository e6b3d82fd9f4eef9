import type { FlagSnapshot } from "../../packages/sdk/src/flag-data.ts";
import { compileSnapshot, type CompiledFlags } from "../../packages/sdk/src/evaluator.ts";
import { logger } from "../shared/logger.ts";
import { buildSnapshot } from "./flag-snapshot.ts";
import type { FlagStore } from "./flag.store.ts";

export type SnapshotListener = (snapshot: FlagSnapshot) => void;

/**
 * Each environment's compiled snapshot, kept in memory and rebuilt after every committed change (this process
 * is the only writer), and pushed at once to the SSE streams of that environment.
 */
export class FlagSnapshots {
  readonly #store: FlagStore;
  readonly #cache = new Map<string, Promise<CompiledFlags>>();
  readonly #listeners = new Map<string, Set<SnapshotListener>>();

  constructor(store: FlagStore) {
    this.#store = store;
  }

  compiled(env: string): Promise<CompiledFlags> {
    let entry = this.#cache.get(env);
    if (!entry) {
      entry = this.#build(env);
      this.#cache.set(env, entry);
      entry.catch(() => this.#cache.delete(env));
    }
    return entry;
  }

  async snapshot(env: string): Promise<FlagSnapshot> {
    return (await this.compiled(env)).snapshot;
  }

  /** Called after a change to `env` committed: rebuild, then push to every stream of the environment. */
  async changed(env: string): Promise<void> {
    const entry = this.#build(env);
    this.#cache.set(env, entry);
    const compiled = await entry;
    for (const listener of this.#listeners.get(env) ?? []) {
      try {
        listener(compiled.snapshot);
      } catch (error) {
        logger.warn({ err: error }, "flags: a snapshot listener failed");
      }
    }
  }

  subscribe(env: string, listener: SnapshotListener): () => void {
    let set = this.#listeners.get(env);
    if (!set) this.#listeners.set(env, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  listenerCount(env: string): number {
    return this.#listeners.get(env)?.size ?? 0;
  }

  async #build(env: string): Promise<CompiledFlags> {
    // One read per table; the version is read first, so a concurrent change can only make the content newer than it says.
    const version = await this.#store.version(env);
    const [flags, states, segments] = await Promise.all([this.#store.flags(), this.#store.states(env), this.#store.segments(env)]);
    return compileSnapshot(buildSnapshot(env, version, flags, states, segments));
  }
}
