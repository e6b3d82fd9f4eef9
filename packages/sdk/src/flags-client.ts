/**
 * The app-facing SDK: synchronous evaluation over the compiled snapshot in memory. The network (stream, poll,
 * metrics) only ever swaps that snapshot; when the server is down the last good one keeps serving.
 */
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import type { EvaluationContext, EvaluationResult, FlagSnapshot, JsonValue, Variation } from "./flag-data.ts";
import { compileSnapshot, errorResult, evaluateFlag } from "./evaluator.ts";
import type { CompiledFlags } from "./evaluator.ts";
import { EvaluationCounter } from "./evaluation-counter.ts";
import { EventTracker } from "./event-tracker.ts";
import type { TrackerLimits } from "./event-tracker.ts";
import { FlagSync } from "./flag-sync.ts";
import type { SnapshotSource } from "./flag-sync.ts";
import { readSnapshotFile, writeSnapshotFile } from "./snapshot-file.ts";
import { FlagScope } from "./flag-scope.ts";

export interface FlagsClientOptions {
  /** Base URL of the Rampart API, e.g. http://127.0.0.1:7700. Without it the client runs offline on its bootstrap. */
  url?: string;
  /** SDK token of one environment (`rampart flags token --env ENV`). Required with `url`. */
  sdkToken?: string;
  /** Flag data to serve until the server answers (or forever, offline). */
  bootstrap?: FlagSnapshot;
  /** Same, read from a JSON file (e.g. saved from GET /api/v1/flags/sdk/snapshot with the SDK token). */
  bootstrapFile?: string;
  /** Every new snapshot is written here, and read at start when newer than the bootstrap: a cold start during an outage still has flags. */
  backupFile?: string;
  /** SSE updates (default true); false polls only. */
  streaming?: boolean;
  /** Poll interval while the stream is down (or always, without streaming). Default 30 s. */
  pollIntervalMs?: number;
  /** Evaluation counts are sent this often (default 60 s); 0 turns counting off. */
  metricsIntervalMs?: number;
  /** Record which variation each user (context `targetingKey`, `key` or `userId`) was first served, for experiments (default true). */
  exposures?: boolean;
  /** Bounds of the exposure and event queues (see EventTracker). */
  trackerLimits?: Partial<TrackerLimits>;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  streamIdleMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** NOT_READY: no flag data yet. READY: current. STALE: serving the last good data, the server is unreachable. ERROR: the token was refused. */
export type FlagsClientStatus = "NOT_READY" | "READY" | "STALE" | "ERROR" | "CLOSED";

export interface FlagsChange {
  version: number;
  previousVersion: number | undefined;
  /** Keys of flags added, removed or changed. */
  changed: string[];
}

export class FlagsClient extends EventEmitter<{
  ready: [];
  change: [FlagsChange];
  error: [Error];
  stale: [Error];
  status: [FlagsClientStatus];
}> {
  #compiled: CompiledFlags | undefined;
  #status: FlagsClientStatus = "NOT_READY";
  #sync: FlagSync | undefined;
  #counter: EvaluationCounter | undefined;
  #tracker: EventTracker | undefined;
  #exposures = false;
  #metricsTimer: NodeJS.Timeout | undefined;
  #backupFile: string | undefined;
  #fatal: Error | undefined;

  constructor(options: FlagsClientOptions = {}) {
    super();
    this.#backupFile = options.backupFile;
    let initial = options.bootstrap ?? (options.bootstrapFile ? readSnapshotFile(options.bootstrapFile) : undefined);
    if (options.backupFile && existsSync(options.backupFile)) {
      try {
        const backup = readSnapshotFile(options.backupFile);
        if (!initial || (backup.env === initial.env && backup.version > initial.version)) initial = backup;
      } catch {
        // A damaged backup is only a lost optimisation: the bootstrap or the server still provide flags.
      }
    }
    if (initial) {
      this.#compiled = compileSnapshot(initial);
      this.#status = options.url ? "STALE" : "READY";
    }
    if (options.url) {
      if (!options.sdkToken) throw new Error("FlagsClient: `sdkToken` is required with `url` (rampart flags token --env ENV)");
      const now = options.now ?? Date.now;
      this.#sync = new FlagSync({
        url: options.url.replace(/\/+$/, ""),
        sdkToken: options.sdkToken,
        fetch: options.fetch ?? fetch,
        streaming: options.streaming ?? true,
        pollIntervalMs: options.pollIntervalMs ?? 30_000,
        reconnectMinMs: options.reconnectMinMs ?? 500,
        reconnectMaxMs: options.reconnectMaxMs ?? 30_000,
        streamIdleMs: options.streamIdleMs ?? 45_000,
        currentVersion: () => this.#compiled?.version,
        onSnapshot: (s, source) => this.#accept(s, source),
        onConnected: () => {
          if (this.#compiled) this.#setStatus("READY");
        },
        onError: (error, fatal, stale) => this.#onSyncError(error, fatal, stale),
      });
      const interval = options.metricsIntervalMs ?? 60_000;
      if (interval > 0) {
        this.#counter = new EvaluationCounter(now);
        this.#tracker = new EventTracker(now, options.trackerLimits);
        this.#exposures = options.exposures ?? true;
        this.#metricsTimer = setInterval(() => void this.flushMetrics(), interval);
        this.#metricsTimer.unref();
      }
      this.#sync.start();
    }
  }

  get status(): FlagsClientStatus {
    return this.#status;
  }

  /** Version of the snapshot being served; undefined before any. */
  get version(): number | undefined {
    return this.#compiled?.version;
  }

  get compiled(): CompiledFlags | undefined {
    return this.#compiled;
  }

  /** Resolves once flag data is loaded (bootstrap counts); rejects when the token is refused or at the timeout. */
  ready(timeoutMs = 10_000): Promise<void> {
    if (this.#compiled && this.#status !== "STALE") return Promise.resolve();
    if (this.#fatal) return Promise.reject(this.#fatal);
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.off("status", onStatus);
        if (error) reject(error);
        else resolve();
      };
      const onStatus = (status: FlagsClientStatus) => {
        if (status === "READY") done();
        else if (status === "ERROR" || status === "CLOSED") done(this.#fatal ?? new Error("FlagsClient closed"));
      };
      // With bootstrap data a slow server is not fatal: serve the bootstrap once the wait is over.
      const timer = setTimeout(() => (this.#compiled ? done() : done(new Error(`no flag data within ${timeoutMs} ms`))), timeoutMs);
      this.on("status", onStatus);
    });
  }

  /** The full result (value, variation, reason, error code). Never throws. */
  detail(key: string, context: EvaluationContext, defaultValue?: Variation["value"]): EvaluationResult {
    const compiled = this.#compiled;
    if (!compiled) return errorResult(key, defaultValue ?? null, "GENERAL", "flag data not loaded yet");
    const r = evaluateFlag(compiled, key, context, defaultValue);
    if (this.#counter && r.errorCode === undefined) {
      this.#counter.record(r);
      if (this.#exposures) this.#tracker?.expose(key, r.variation, context);
    }
    return r;
  }

  boolean(key: string, context: EvaluationContext, defaultValue: boolean): boolean {
    const r = this.detail(key, context, defaultValue);
    return r.errorCode === undefined ? (r.value as boolean) : defaultValue;
  }

  string(key: string, context: EvaluationContext, defaultValue: string): string {
    const r = this.detail(key, context, defaultValue);
    return r.errorCode === undefined ? (r.value as string) : defaultValue;
  }

  number(key: string, context: EvaluationContext, defaultValue: number): number {
    const r = this.detail(key, context, defaultValue);
    return r.errorCode === undefined ? (r.value as number) : defaultValue;
  }

  /** JSON values are shared and frozen: copy before changing one. */
  json<T extends JsonValue>(key: string, context: EvaluationContext, defaultValue: T): T {
    const r = this.detail(key, context, defaultValue);
    return r.errorCode === undefined ? (r.value as T) : defaultValue;
  }

  /** A per-request view that remembers which variations it served, for the `x-rampart-flags` response header. */
  scope(context?: EvaluationContext): FlagScope {
    return new FlagScope(this, context);
  }

  /** Replaces the flag data by hand (tests, or an app that fetches snapshots its own way). */
  setSnapshot(snapshot: FlagSnapshot): void {
    this.#accept(snapshot, "stream");
  }

  /**
   * Records a business event (e.g. "purchase", with its value) for the context's user, sent with the next batch.
   * The server attributes it to the variation of every flag that user was served before. Never throws;
   * false when not recorded (no user key in the context, the queue is full, or the client runs offline).
   */
  track(key: string, context: EvaluationContext, details: { value?: number } = {}): boolean {
    return this.#tracker?.track(key, context, details.value) ?? false;
  }

  /** Exposures and events dropped because a bounded queue was full. */
  get droppedEvents(): number {
    return this.#tracker?.dropped ?? 0;
  }

  /** Sends the evaluation counts, exposures and events gathered so far; kept for the next attempt when the server is unreachable. */
  async flushMetrics(): Promise<void> {
    if (!this.#counter || !this.#sync) return;
    const batch = this.#counter.take();
    if (batch && !(await this.#sync.sendMetrics(batch))) this.#counter.restore(batch);
    const events = this.#tracker?.take();
    if (events && !(await this.#sync.sendEvents(events))) this.#tracker?.restore(events);
  }

  async close(): Promise<void> {
    if (this.#status === "CLOSED") return;
    clearInterval(this.#metricsTimer);
    this.#sync?.stop();
    await this.flushMetrics();
    this.#setStatus("CLOSED");
  }

  #setStatus(status: FlagsClientStatus): void {
    if (this.#status === status || this.#status === "CLOSED") return;
    const wasReady = this.#status === "READY";
    this.#status = status;
    this.emit("status", status);
    if (status === "READY" && !wasReady) this.emit("ready");
  }

  #accept(snapshot: FlagSnapshot, source: SnapshotSource): void {
    const previous = this.#compiled;
    // A poll answered after a streamed update may carry older data: only the stream may move backwards
    // (its first event after a reconnect is authoritative, e.g. after the server's data was restored).
    if (
      previous &&
      (source === "poll" ? snapshot.version <= previous.version : snapshot.version === previous.version && snapshot.env === previous.env)
    ) {
      this.#setStatus("READY");
      return;
    }
    this.#compiled = compileSnapshot(snapshot);
    this.#setStatus("READY");
    if (this.#backupFile) {
      try {
        writeSnapshotFile(this.#backupFile, snapshot);
      } catch (err) {
        this.#report(new Error(`writing the flag backup ${this.#backupFile}: ${(err as Error).message}`));
      }
    }
    this.emit("change", {
      version: snapshot.version,
      previousVersion: previous?.version,
      changed: changedKeys(previous?.snapshot, snapshot),
    });
  }

  #onSyncError(error: Error, fatal: boolean, stale: boolean): void {
    if (fatal) {
      this.#fatal = error;
      this.#setStatus("ERROR");
    } else if (stale && this.#compiled && this.#status === "READY") {
      this.#setStatus("STALE");
      this.emit("stale", error);
    }
    this.#report(error);
  }

  #report(error: Error): void {
    // 'error' without a listener would throw (EventEmitter semantics); an SDK must not crash its app.
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }
}

function changedKeys(before: FlagSnapshot | undefined, after: FlagSnapshot): string[] {
  const old = new Map((before?.flags ?? []).map((f) => [f.key, JSON.stringify(f)]));
  const changed: string[] = [];
  const segmentsChanged = JSON.stringify(before?.segments ?? []) !== JSON.stringify(after.segments);
  for (const f of after.flags) {
    const prev = old.get(f.key);
    if (prev === undefined || segmentsChanged || prev !== JSON.stringify(f)) changed.push(f.key);
    old.delete(f.key);
  }
  return [...changed, ...old.keys()];
}
