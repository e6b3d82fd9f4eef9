import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { Checkpoint } from "../access/audit-chain.ts";
import { writeFileAtomicSync } from "../shared/atomic-file.ts";

const checkpointSchema = z.strictObject({
  eventId: z.number().int().positive(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.number().int(),
  signature: z.string().min(1),
});

/** A line of the checkpoint file that is not a checkpoint: itself a sign of tampering (or a torn write). */
export interface BadCheckpointLine {
  line: number;
  text: string;
}

/**
 * The signed checkpoints, one JSON object a line in `<data dir>/audit/checkpoints.jsonl`, and the public key they
 * verify with (`public-key.pem` beside it). A file of their own, not a table: see ADR 12's addendum (whoever
 * truncates or rewrites the events table must also find and rewrite this file, and it can be shipped off the
 * machine by anything that tails a file).
 */
export class CheckpointFile {
  readonly dir: string;
  readonly path: string;
  readonly publicKeyPath: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, "audit");
    this.path = join(this.dir, "checkpoints.jsonl");
    this.publicKeyPath = join(this.dir, "public-key.pem");
  }

  /** The public key recorded on first start, or null. */
  recordedPublicKey(): string | null {
    return existsSync(this.publicKeyPath) ? readFileSync(this.publicKeyPath, "utf8") : null;
  }

  recordPublicKey(pem: string): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileAtomicSync(this.publicKeyPath, pem);
  }

  read(): { checkpoints: Checkpoint[]; bad: BadCheckpointLine[] } {
    if (!existsSync(this.path)) return { checkpoints: [], bad: [] };
    const checkpoints: Checkpoint[] = [];
    const bad: BadCheckpointLine[] = [];
    const lines = readFileSync(this.path, "utf8").split("\n");
    lines.forEach((text, index) => {
      if (text.trim() === "") return;
      const parsed = checkpointSchema.safeParse(safeJson(text));
      if (parsed.success) checkpoints.push(parsed.data);
      else bad.push({ line: index + 1, text: text.slice(0, 200) });
    });
    return { checkpoints, bad };
  }

  /** Appends one checkpoint and syncs it to disk before returning. */
  append(checkpoint: Checkpoint): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const fd = openSync(this.path, "a", 0o600);
    try {
      writeSync(fd, `${JSON.stringify(checkpoint)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
