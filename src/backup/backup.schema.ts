import { z } from "zod";
import { expected, positiveDuration, text, wholeNumber } from "../config/fields.schema.ts";
import type { BackupSettings } from "./backup.service.ts";

/** rampart.yaml `backups:` — scheduled backups and their retention (docs/backup.md). */
export const backupsFileSchema = z.strictObject(
  {
    every: positiveDuration.optional(),
    keep: wholeNumber(1, 100_000).optional(),
    dir: text("a directory for the backups, e.g. /var/backups/rampart").optional(),
  },
  { error: expected("a mapping such as { every: 6h, keep: 28, dir: /var/backups/rampart }") },
);

export type BackupsFile = z.output<typeof backupsFileSchema>;

export function resolveBackupSettings(file: BackupsFile | undefined, resolvePath: (path: string) => string): BackupSettings | undefined {
  if (!file) return undefined;
  return { dir: file.dir === undefined ? null : resolvePath(file.dir), everyMs: file.every ?? null, keep: file.keep ?? null };
}
