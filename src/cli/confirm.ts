import { createInterface } from "node:readline/promises";

/** A y/N question needs a person at a terminal: a pipe or CI has nobody to answer it. */
export function canAsk(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/** Asks on stderr (stdout stays clean for pipes); anything but y/yes, or end of input, is no. */
export async function confirm(
  question: string,
  io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream } = { input: process.stdin, output: process.stderr },
): Promise<boolean> {
  const rl = createInterface({ input: io.input, output: io.output });
  const closed = new Promise<string>((resolve) => rl.once("close", () => resolve("")));
  try {
    const answer = await Promise.race([rl.question(`${question} [y/N] `), closed]);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
