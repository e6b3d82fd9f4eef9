import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** One line of the edge's access log (src/edge/access-log.ts writes them). */
export const accessLineSchema = z.object({
  time: z.string(),
  request_id: z.string(),
  method: z.string(),
  host: z.string().nullable(),
  path: z.string(),
  status: z.number(),
  bytes: z.number(),
  duration_ms: z.number(),
  upstream_ms: z.number().nullable(),
  app: z.string(),
  release: z.number(),
  instance: z.string(),
  client: z.string(),
  subject: z.string().nullable(),
});
export type AccessLine = z.infer<typeof accessLineSchema>;

/** At most this much of an environment's log is read per call: the newest files first. */
const MAX_READ_BYTES = 256 * 1024 * 1024;

/**
 * The newest `limit` lines at or after `since` (epoch ms), matching `grep` (a substring of the raw line), from every
 * worker's files (current and rotated) in the environment's directory, merged by time.
 */
export async function readAccessLog(dir: string, options: { since?: number; limit: number; grep?: string }): Promise<AccessLine[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /^access-\d+(-\d+)?\.log$/.test(n));
  } catch {
    return [];
  }
  const files = await Promise.all(
    names.map(async (name) => {
      const info = await stat(join(dir, name)).catch(() => undefined);
      return { name, mtime: info?.mtimeMs ?? 0, size: info?.size ?? 0 };
    }),
  );
  files.sort((a, b) => b.mtime - a.mtime);
  const out: AccessLine[] = [];
  let read = 0;
  for (const file of files) {
    if (options.since !== undefined && file.mtime < options.since) break;
    if (read + file.size > MAX_READ_BYTES) break;
    read += file.size;
    const text = await readFile(join(dir, file.name), "utf8").catch(() => "");
    for (const raw of text.split("\n")) {
      if (raw === "" || (options.grep !== undefined && !raw.includes(options.grep))) continue;
      const line = parseLine(raw);
      if (line === undefined) continue;
      if (options.since !== undefined && Date.parse(line.time) < options.since) continue;
      out.push(line);
    }
  }
  out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return out.slice(-options.limit);
}

function parseLine(raw: string): AccessLine | undefined {
  try {
    const parsed = accessLineSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // A line cut by a killed worker.
    return undefined;
  }
}
