import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** A value and the encoded forms a leak would most likely take (and a prefix long enough to be its own). */
export const formsOf = (v: string): string[] => [v, Buffer.from(v).toString("base64"), encodeURIComponent(v), v.slice(0, 20)];

export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** A file's bytes; a temp file renamed away since it was listed reads as empty. */
function contentOf(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return Buffer.alloc(0);
    throw error;
  }
}

/**
 * Where any form of any value shows up: in the texts (logs, events, API answers, process output; named by index)
 * and in every file under the data dir. An empty list is the proof that nothing was shown.
 */
export function plaintextHits(values: string[], texts: string[], dataDir: string): string[] {
  const hits: string[] = [];
  const files = filesUnder(dataDir);
  for (const v of values)
    for (const form of formsOf(v)) {
      texts.forEach((text, i) => text.includes(form) && hits.push(`answer ${i}: ${form}`));
      for (const file of files) if (contentOf(file).includes(form)) hits.push(`${file}: ${form}`);
    }
  return hits;
}
