import { createHash, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { canonicalJson } from "./canonical-json.ts";

/**
 * The event log made tamper-evident (CloudTrail's digest chain, per event): every event's hash covers the previous
 * event's hash and the event's canonical content, and checkpoints signed with an Ed25519 key kept outside the
 * database pin the head of the chain from time to time. Whoever can write the database can change an event and
 * recompute every later hash, but cannot sign a checkpoint: so a change is found at the latest at the next
 * checkpoint, and a tail cut off after the last checkpoint is found by its absence.
 */
export const GENESIS_HASH = "0".repeat(64);

/** What is hashed of an event: everything it says, never the hash columns themselves. */
export interface ChainedContent {
  id: number;
  at: number;
  type: string;
  env: string | null;
  app: string | null;
  release: number | null;
  instance: string | null;
  actor: string;
  message: string;
  data: Record<string, unknown>;
}

export interface ChainedEvent extends ChainedContent {
  /** sha256 hex of the previous event's hash and this event's canonical content. */
  hash: string;
}

export function chainHash(previousHash: string, event: ChainedContent): string {
  const content = {
    id: event.id,
    at: event.at,
    type: event.type,
    env: event.env,
    app: event.app,
    release: event.release,
    instance: event.instance,
    actor: event.actor,
    message: event.message,
    data: event.data,
  };
  return createHash("sha256").update(previousHash, "utf8").update("\n", "utf8").update(canonicalJson(content), "utf8").digest("hex");
}

export interface Checkpoint {
  /** The last event the checkpoint covers, and its chain hash. */
  eventId: number;
  hash: string;
  at: number;
  /** base64 Ed25519 signature over `rampart-audit-checkpoint\n<eventId>\n<hash>\n<at>`. */
  signature: string;
}

function checkpointMessage(c: Omit<Checkpoint, "signature">): Buffer {
  return Buffer.from(`rampart-audit-checkpoint\n${c.eventId}\n${c.hash}\n${c.at}`, "utf8");
}

export function signCheckpoint(c: Omit<Checkpoint, "signature">, privateKey: KeyObject): Checkpoint {
  return { ...c, signature: sign(null, checkpointMessage(c), privateKey).toString("base64") };
}

export function checkpointValid(c: Checkpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, checkpointMessage(c), publicKey, Buffer.from(c.signature, "base64"));
  } catch {
    return false;
  }
}

export type ChainProblem =
  | { kind: "changed"; eventId: number; message: string }
  | { kind: "removed"; eventId: number; message: string }
  | { kind: "reordered"; eventId: number; message: string }
  | { kind: "checkpoint"; eventId: number; message: string };

export interface VerifyResult {
  ok: boolean;
  events: number;
  checkpoints: number;
  problem: ChainProblem | null;
}

/**
 * Walks the events in id order (as stored) and the checkpoints, and names the first event that was changed,
 * removed or reordered. `firstId`/`firstPreviousHash` let a chain start after a pruned prefix.
 */
export function verifyChain(
  events: Iterable<ChainedEvent>,
  checkpoints: readonly Checkpoint[],
  publicKey: KeyObject,
  start: { firstId: number; previousHash: string } = { firstId: 1, previousHash: GENESIS_HASH },
): VerifyResult {
  const walk = new ChainWalk(checkpoints, publicKey, start);
  for (const event of events) if (!walk.next(event)) return walk.result();
  return walk.end();
}

/**
 * verifyChain one event at a time, so a log too large to hold in memory is checked page by page: `next` returns
 * false at the first problem (then `result()` names it), and `end()` checks the checkpoints past the last event.
 */
export class ChainWalk {
  readonly #checkpoints: readonly Checkpoint[];
  readonly #byId = new Map<number, Checkpoint>();
  #problem: ChainProblem | null = null;
  #count = 0;
  #previousHash: string;
  #expectedId: number;
  #lastId: number;

  constructor(
    checkpoints: readonly Checkpoint[],
    publicKey: KeyObject,
    start: { firstId: number; previousHash: string } = { firstId: 1, previousHash: GENESIS_HASH },
  ) {
    this.#checkpoints = checkpoints;
    this.#previousHash = start.previousHash;
    this.#expectedId = start.firstId;
    this.#lastId = start.firstId - 1;
    for (const c of checkpoints) {
      if (!checkpointValid(c, publicKey)) {
        this.#problem = {
          kind: "checkpoint",
          eventId: c.eventId,
          message: `the checkpoint at event ${c.eventId} has an invalid signature`,
        };
        return;
      }
      this.#byId.set(c.eventId, c);
    }
  }

  /** The id of the last event that checked out. */
  get lastId(): number {
    return this.#lastId;
  }

  next(event: ChainedEvent): boolean {
    if (this.#problem) return false;
    this.#count += 1;
    const expectedId = this.#expectedId;
    if (event.id < expectedId)
      return this.#fail({ kind: "reordered", eventId: event.id, message: `event ${event.id} appears after event ${expectedId - 1}` });
    if (event.id > expectedId)
      return this.#fail({
        kind: "removed",
        eventId: expectedId,
        message: `event ${expectedId}${event.id - expectedId > 1 ? `–${event.id - 1}` : ""} is missing (the next one is ${event.id})`,
      });
    const hash = chainHash(this.#previousHash, event);
    if (hash !== event.hash) {
      return this.#fail({
        kind: "changed",
        eventId: event.id,
        message: `event ${event.id} (${event.type}) does not match its recorded hash: it was changed or moved after it was written`,
      });
    }
    const checkpoint = this.#byId.get(event.id);
    if (checkpoint && checkpoint.hash !== hash) {
      return this.#fail({
        kind: "changed",
        eventId: event.id,
        message: `the chain up to event ${event.id} differs from the signed checkpoint: an event at or before ${event.id} was changed and the chain recomputed`,
      });
    }
    this.#previousHash = hash;
    this.#lastId = event.id;
    this.#expectedId += 1;
    return true;
  }

  end(): VerifyResult {
    if (this.#problem) return this.result();
    const lastId = this.#lastId;
    const beyond = this.#checkpoints.filter((c) => c.eventId > lastId).sort((a, b) => a.eventId - b.eventId)[0];
    if (beyond)
      this.#fail({
        kind: "removed",
        eventId: lastId + 1,
        message: `a signed checkpoint covers event ${beyond.eventId}, but the log ends at event ${lastId}: events ${lastId + 1}–${beyond.eventId} were removed`,
      });
    return this.result();
  }

  result(): VerifyResult {
    return { ok: this.#problem === null, events: this.#count, checkpoints: this.#checkpoints.length, problem: this.#problem };
  }

  #fail(problem: ChainProblem): false {
    this.#problem = problem;
    return false;
  }
}

export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}
