import { open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { parseRoutingTable } from "./routing-table.schema.ts";
import type { RoutingTable } from "./routing-table.types.ts";

/**
 * The last applied table on disk, so an edge restarted without a control plane serves the same routes.
 * Written tmp + fsync + rename (+ fsync of the directory) so a crash leaves the old or the new file,
 * never a torn one.
 */
export async function loadTable(path: string): Promise<RoutingTable | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON`);
  }
  const parsed = parseRoutingTable(json);
  if (!parsed.ok) throw new Error(`${path}: ${parsed.message}`);
  return parsed.table;
}

export async function saveTable(path: string, table: RoutingTable): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const file = await open(tmp, "w", 0o600);
  try {
    await file.writeFile(JSON.stringify(table));
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
