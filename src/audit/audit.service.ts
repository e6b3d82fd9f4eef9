import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { ChainWalk, type Checkpoint, signCheckpoint, type ChainProblem } from "../access/audit-chain.ts";
import type { EventLog } from "../events/event-log.ts";
import type { RampartEvent } from "../events/event.types.ts";
import type { Clock } from "../shared/clock.ts";
import { RampartError } from "../shared/errors.ts";
import { logger } from "../shared/logger.ts";
import type { AuditKey } from "./audit-key.ts";
import type { AuditQuery, AuditStore } from "./audit.store.ts";
import type { ChainProblemView, VerifyView } from "./audit.types.ts";
import type { CheckpointFile } from "./checkpoint-file.ts";

const PAGE = 2000;

export interface CheckpointPolicy {
  /** A checkpoint after this many events since the last one. */
  everyEvents: number;
  /** And at least this often while events come in (and at every stop). */
  everyMs: number;
}

export const defaultCheckpointPolicy: CheckpointPolicy = { everyEvents: 100, everyMs: 10 * 60_000 };

/**
 * Keeps the chain pinned (signed checkpoints of its head every N events, every M minutes, at start and at stop)
 * and verifies it. The key is loaded at start, so a platform that cannot sign does not start.
 */
export class AuditService {
  readonly #store: AuditStore;
  readonly #events: EventLog;
  readonly #file: CheckpointFile;
  readonly #clock: Clock;
  readonly #policy: CheckpointPolicy;
  readonly #loadKey: () => AuditKey;
  #key: AuditKey | null = null;
  #lastCheckpointId = 0;
  #timer: NodeJS.Timeout | null = null;
  #unsubscribe: (() => void) | null = null;

  constructor(deps: {
    store: AuditStore;
    events: EventLog;
    file: CheckpointFile;
    clock: Clock;
    policy: CheckpointPolicy;
    loadKey: () => AuditKey;
  }) {
    this.#store = deps.store;
    this.#events = deps.events;
    this.#file = deps.file;
    this.#clock = deps.clock;
    this.#policy = deps.policy;
    this.#loadKey = deps.loadKey;
  }

  /** Loads (or creates) the key and checks it is the one this data dir's checkpoints were signed with. */
  start(): void {
    const key = this.#loadKey();
    const recorded = this.#file.recordedPublicKey();
    if (recorded === null) this.#file.recordPublicKey(key.publicPem);
    else if (!samePublicKey(recorded, key)) {
      throw new RampartError(
        "audit_key",
        `the audit key ${key.path} is not the key this data dir's checkpoints were signed with (its public key is recorded in ${this.#file.publicKeyPath})`,
        {
          hint: `set RAMPART_AUDIT_KEY_FILE to the original key and run rampart up again; if that key is lost, move ${this.#file.dir} aside to start a new series of checkpoints (the old ones can still be checked with the recorded public key)`,
        },
      );
    }
    this.#key = key;
    this.#lastCheckpointId = this.#file.read().checkpoints.reduce((max, c) => Math.max(max, c.eventId), 0);
  }

  /** Pins what is there now (events hashed by the migration included), then keeps pinning as events come in. */
  async run(): Promise<void> {
    const head = await this.#store.head();
    if (head) this.#checkpoint(head);
    this.#unsubscribe = this.#events.subscribe((event) => this.#onEvent(event));
    this.#timer = setInterval(() => this.#checkpointHead(), this.#policy.everyMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    // A tail cut off after a clean stop is then found by the checkpoint past the end.
    this.#checkpointHead();
  }

  query(filter: AuditQuery): Promise<RampartEvent[]> {
    return this.#store.query(filter);
  }

  /** Walks the whole chain page by page against the signed checkpoints. */
  async verify(): Promise<VerifyView> {
    const { checkpoints, bad } = this.#file.read();
    const publicKey = this.#key?.publicKey ?? this.#recordedKey();
    const key = fingerprint(publicKey);
    const last = lastCheckpoint(checkpoints);
    if (bad.length > 0 && bad[0]) {
      const problem: ChainProblemView = {
        kind: "checkpoint",
        eventId: 0,
        event: null,
        message: `line ${bad[0].line} of the checkpoint file ${this.#file.path} is not a checkpoint: the file was edited or damaged`,
        hint: `compare ${this.#file.path} with a backup; every line must be a signed checkpoint written by rampart`,
      };
      return { ok: false, events: 0, checkpoints: checkpoints.length, lastCheckpoint: last, key, problem, message: problem.message };
    }
    const walk = new ChainWalk(checkpoints, publicKey);
    let after = 0;
    let going = true;
    while (going) {
      const page = await this.#store.chainPage(after, PAGE);
      for (const event of page) {
        if (!walk.next(event)) {
          going = false;
          break;
        }
        after = event.id;
      }
      if (page.length < PAGE) break;
    }
    const result = going ? walk.end() : walk.result();
    if (result.ok || result.problem === null) {
      const pinned = last
        ? `last checkpoint #${last.number} at ${new Date(last.at).toISOString()} (event ${last.eventId})`
        : "no checkpoint yet";
      return { ...result, lastCheckpoint: last, key, problem: null, message: `verified ${result.events} events, ${pinned}` };
    }
    const problem = await this.#describe(result.problem, checkpoints);
    return { ...result, lastCheckpoint: last, key, problem, message: problem.message };
  }

  async #describe(problem: ChainProblem, checkpoints: Checkpoint[]): Promise<ChainProblemView> {
    const event = problem.kind === "checkpoint" ? null : await this.#store.atOrAfter(problem.eventId);
    const at = (e: { at: number }) => new Date(e.at).toISOString();
    const named = event ? ` [event ${event.id}, ${event.type}, ${at(event)}]` : "";
    const sorted = [...checkpoints].sort((a, b) => a.eventId - b.eventId);
    const before = sorted.filter((c) => c.eventId < problem.eventId).at(-1);
    const goodUpTo = problem.kind === "checkpoint" ? 0 : problem.eventId - 1;
    const hint =
      problem.kind === "checkpoint"
        ? `a checkpoint was altered or signed with another key: compare ${this.#file.path} with a backup, and check that the audit key is the original one`
        : `the event log was altered outside rampart; ${goodUpTo > 0 ? `events up to ${goodUpTo} check out` : "no event before it is left to trust"}${before ? ` (pinned by the checkpoint at event ${before.eventId})` : ""}: compare rampart.db with a backup from before then (sqlite3 rampart.db "SELECT * FROM events WHERE id >= ${problem.eventId} LIMIT 5"), and see what happened around then with rampart audit --since`;
    const recomputed = problem.kind === "changed" && problem.message.includes("signed checkpoint");
    const message = recomputed
      ? `the chain up to event ${problem.eventId} differs from its signed checkpoint: an event between ${(before?.eventId ?? 0) + 1} and ${problem.eventId} was changed and every later hash recomputed${named}`
      : `${problem.message}${named}`;
    return { kind: problem.kind, eventId: problem.eventId, event, message, hint };
  }

  #recordedKey() {
    const pem = this.#file.recordedPublicKey();
    if (pem === null)
      throw new Error(`no audit public key is recorded in ${this.#file.publicKeyPath}: start the platform once with rampart up`);
    return createPublicKey(pem);
  }

  #onEvent(event: RampartEvent): void {
    if (event.id - this.#lastCheckpointId >= this.#policy.everyEvents) this.#checkpointHead();
  }

  #checkpointHead(): void {
    const head = this.#events.head();
    if (head) this.#checkpoint(head);
  }

  #checkpoint(head: { id: number; hash: string }): void {
    const key = this.#key;
    if (key === null || head.id <= this.#lastCheckpointId) return;
    try {
      this.#file.append(signCheckpoint({ eventId: head.id, hash: head.hash, at: this.#clock.now() }, key.privateKey));
      this.#lastCheckpointId = head.id;
    } catch (error) {
      // The events are written; a missing checkpoint only widens the window the next one closes.
      logger.warn({ err: error, path: this.#file.path }, "could not write an audit checkpoint");
    }
  }
}

function lastCheckpoint(checkpoints: Checkpoint[]): VerifyView["lastCheckpoint"] {
  const last = checkpoints.at(-1);
  return last ? { number: checkpoints.length, eventId: last.eventId, at: last.at } : null;
}

/** `SHA256:` and the base64 sha256 of the DER public key, to compare with a copy of the key kept elsewhere. */
function fingerprint(publicKey: KeyObject): string {
  return `SHA256:${createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("base64")}`;
}

function samePublicKey(recordedPem: string, key: AuditKey): boolean {
  try {
    return createPublicKey(recordedPem).equals(key.publicKey);
  } catch {
    return false;
  }
}
