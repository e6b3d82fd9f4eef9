import { z } from "zod";

/** One file in a backup, with the checksum `rampart restore` checks it against. */
export const backupFileSchema = z.object({
  path: z.string().describe("relative to the data dir"),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** `manifest.json` inside every backup archive: what it holds and what it deliberately leaves out. */
export const backupManifestSchema = z.object({
  format: z.literal("rampart-backup/1"),
  createdAt: z.number().int().describe("epoch ms"),
  rampartVersion: z.string(),
  /** The newest event in the database copy and its chain hash: the restored chain ends there. */
  lastEventId: z.number().int().nullable(),
  lastEventHash: z.string().nullable(),
  files: z.array(backupFileSchema),
  excluded: z.array(z.string()).describe("what a backup leaves out, and why"),
});
export type BackupManifest = z.infer<typeof backupManifestSchema>;

export const backupViewSchema = z.object({
  name: z.string().describe("the archive's file name in the backups dir"),
  path: z.string(),
  bytes: z.number().int(),
  sha256: z.string().describe("of the whole archive"),
  createdAt: z.number().int(),
  lastEventId: z.number().int().nullable(),
  files: z.number().int().describe("files inside"),
  scheduled: z.boolean(),
  durationMs: z.number().int().describe("how long the control plane took to make it"),
});
export type BackupView = z.infer<typeof backupViewSchema>;

export const BACKUP_NAME = /^rampart-backup-[0-9TZ-]+(-[a-z0-9]+)?\.tar\.gz$/;
