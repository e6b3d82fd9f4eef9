import { once } from "node:events";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, renameSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { clientFor, printJson, printTable, type GlobalOptions } from "../cli/cli-context.ts";
import { RampartError } from "../shared/errors.ts";
import { restoreBackup } from "./restore.ts";

export function registerBackupCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command("backup")
    .description("take an online, consistent backup of the platform's state (database, audit checkpoints, released artifacts)")
    .option("--to <file>", "also download it to FILE (it stays in the backups dir too)")
    .option("--list", "list the backups in the backups dir")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions & { to?: string; list?: boolean }) => {
      const opts = { ...globals(), ...options };
      const client = clientFor(opts);
      if (options.list) {
        const { dir, backups } = await client.backups();
        if (opts.json) return printJson({ dir, backups });
        process.stdout.write(`backups in ${dir}\n`);
        return printTable(
          ["name", "created", "bytes", "files", "up to event"],
          backups.map((b) => [b.name, new Date(b.createdAt).toISOString(), String(b.bytes), String(b.files), String(b.lastEventId ?? "-")]),
        );
      }
      const backup = await client.createBackup();
      let to: string | null = null;
      if (options.to) to = await download(client, backup.name, backup.sha256, resolve(options.to));
      if (opts.json) return printJson({ ...backup, downloadedTo: to });
      process.stdout.write(
        `backup ${backup.name}: ${backup.files} files, ${backup.bytes} bytes, up to event ${backup.lastEventId ?? "none"}\n`,
      );
      process.stdout.write(`  on the server: ${backup.path}\n  sha256: ${backup.sha256}\n`);
      if (to) process.stdout.write(`  downloaded to ${to}\n`);
      process.stdout.write("restore with: rampart restore FILE --data NEW_DIR (keep the secrets and audit keys: they are not in it)\n");
    });
  program
    .command("restore <file>")
    .description("restore a backup into a new, empty data dir (offline), then start it with rampart up --data DIR")
    .option("--json", "print JSON")
    .action(async (file: string, options: GlobalOptions) => {
      const opts = { ...globals(), ...options };
      if (!opts.data) throw new RampartError("restore_refused", "rampart restore needs --data DIR: the new data dir to restore into");
      const { dataDir, manifest } = await restoreBackup(file, opts.data);
      if (opts.json)
        return printJson({ dataDir, createdAt: manifest.createdAt, lastEventId: manifest.lastEventId, files: manifest.files.length });
      process.stdout.write(
        `restored ${manifest.files.length} files (up to event ${manifest.lastEventId ?? "none"}, taken ${new Date(manifest.createdAt).toISOString()}) into ${dataDir}\n`,
      );
      process.stdout.write(`next: rampart up --data ${dataDir} (with the same secrets and audit keys), then rampart audit verify\n`);
    });
}

/** Streams the archive into FILE (through a temp name) and checks it against the sha256 the server announced. */
async function download(client: ReturnType<typeof clientFor>, name: string, expected: string, file: string): Promise<string> {
  if (existsSync(file))
    throw new RampartError("restore_refused", `${file} exists: rampart backup never overwrites a file`, { hint: "pass a new --to FILE" });
  const partial = `${file}.partial`;
  const { body } = await client.backupArchive(name);
  const out = createWriteStream(partial, { mode: 0o600 });
  const hash = createHash("sha256");
  try {
    for await (const chunk of body) {
      hash.update(chunk);
      if (!out.write(chunk)) await once(out, "drain");
    }
    out.end();
    await once(out, "finish");
  } catch (error) {
    out.destroy();
    rmSync(partial, { force: true });
    throw error;
  }
  const got = hash.digest("hex");
  if (got !== expected) {
    rmSync(partial, { force: true });
    throw new RampartError("backup_failed", `the download of ${name} does not match its sha256 (${got} ≠ ${expected})`, {
      hint: `download it again: rampart backup --to ${file}`,
    });
  }
  renameSync(partial, file);
  return file;
}
