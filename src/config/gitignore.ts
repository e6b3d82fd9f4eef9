import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";

/**
 * Keeps the data dir (API token, database, logs) out of git: appends `/.rampart/` to the project's .gitignore
 * (creating it) unless a line already ignores it. Returns the entry added, or null when nothing was needed.
 */
export function ignoreDataDir(projectDir: string, dataDir: string): string | null {
  const rel = relative(projectDir, dataDir);
  // A data dir outside the project is not git's business here.
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return null;
  const name = rel.split(sep).join("/");
  const entry = `/${name}/`;
  const path = join(projectDir, ".gitignore");
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const covered = new Set([name, `${name}/`, `/${name}`, entry]);
  if (text.split(/\r?\n/).some((line) => covered.has(line.trim()))) return null;
  const separator = text === "" || text.endsWith("\n") ? "" : "\n";
  writeFileSync(path, `${text}${separator}# Rampart's data dir: API token, database, logs (never commit it)\n${entry}\n`);
  return entry;
}
