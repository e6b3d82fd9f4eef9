import { StringDecoder } from "node:string_decoder";

/** Longest line kept whole; longer output is cut into pieces of this many characters. */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Turns a byte stream into lines. A partial last line (a prompt, a progress bar) is not held
 * back forever: it is emitted after `flushMs` of quiet, or at end().
 */
export class LineSplitter {
  #decoder = new StringDecoder("utf8");
  #pending = "";
  #timer: NodeJS.Timeout | undefined;
  #onLines: (lines: string[]) => void;
  #flushMs: number;

  constructor(onLines: (lines: string[]) => void, flushMs = 100) {
    this.#onLines = onLines;
    this.#flushMs = flushMs;
  }

  push(chunk: Buffer): void {
    this.#clearTimer();
    const text = this.#pending + this.#decoder.write(chunk);
    const parts = text.split("\n");
    this.#pending = parts.pop() ?? "";
    const lines: string[] = [];
    for (const part of parts) lines.push(...cut(part.endsWith("\r") ? part.slice(0, -1) : part));
    // A runaway line without newlines must not grow the buffer without bound.
    while (this.#pending.length >= MAX_LINE_CHARS) {
      lines.push(this.#pending.slice(0, MAX_LINE_CHARS));
      this.#pending = this.#pending.slice(MAX_LINE_CHARS);
    }
    if (lines.length > 0) this.#onLines(lines);
    if (this.#pending.length > 0) {
      this.#timer = setTimeout(() => this.flush(), this.#flushMs);
      this.#timer.unref();
    }
  }

  /** Emit the partial line now, if any. */
  flush(): void {
    this.#clearTimer();
    if (this.#pending.length === 0) return;
    const line = this.#pending;
    this.#pending = "";
    this.#onLines([line]);
  }

  end(): void {
    this.#pending += this.#decoder.end();
    this.flush();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function cut(line: string): string[] {
  if (line.length <= MAX_LINE_CHARS) return [line];
  const pieces: string[] = [];
  for (let i = 0; i < line.length; i += MAX_LINE_CHARS) pieces.push(line.slice(i, i + MAX_LINE_CHARS));
  return pieces;
}
