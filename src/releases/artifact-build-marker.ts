import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "./artifact-layout.ts";

/**
 * `<artifactDir>/build.json` records that an artifact's build ran, so "built once per
 * artifact" survives restarts. Written atomically: after a crash it is either the old
 * marker, the new one, or absent, never a torn file that would parse as half a success.
 */

const buildMarkerSchema = z.object({
  command: z.string(),
  ok: z.boolean(),
  /** ISO time the build finished. */
  at: z.string(),
  durationMs: z.number(),
});

export type BuildMarker = z.infer<typeof buildMarkerSchema>;

const MARKER_FILE = "build.json";

/** Null when there is no marker or it is unreadable (then the build simply runs again). */
export async function readBuildMarker(artifactDir: string): Promise<BuildMarker | null> {
  let text: string;
  try {
    text = await readFile(join(artifactDir, MARKER_FILE), "utf8");
  } catch {
    return null;
  }
  try {
    const parsed = buildMarkerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function writeBuildMarker(artifactDir: string, marker: BuildMarker): Promise<void> {
  const data = buildMarkerSchema.parse(marker);
  await writeFileAtomic(join(artifactDir, MARKER_FILE), `${JSON.stringify(data, null, 2)}\n`);
}

/** True when the marker records a successful build of exactly this command: skip building. */
export function isBuiltWith(marker: BuildMarker | null, command: string): boolean {
  return marker?.ok === true && marker.command === command;
}
