import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";
import { writeFileAtomicSync } from "../shared/atomic-file.ts";
import { RampartError } from "../shared/errors.ts";

/**
 * The CLI's contexts: one per API it has logged in to (a laptop talks to staging's and production's Rampart), kept
 * in `$XDG_CONFIG_HOME/rampart/contexts.json` (default ~/.config/rampart), file 0600 in a 0700 folder: it holds
 * bearer tokens.
 */
export const cliContextSchema = z.object({
  name: z.string().min(1),
  /** Base URL, e.g. https://rampart.example.com:7700. */
  api: z.string(),
  token: z.string().min(1),
  /** PEM of the CA (or self-signed certificate) to trust for this API beside the system's CAs. */
  ca: z.string().optional(),
  /** Who the token acts as, as the API said at login (null when it could not tell). */
  user: z.string().nullable(),
  /** A session (password or OIDC login: logout ends it on the server) or a personal/service token. */
  via: z.enum(["session", "token"]),
  expiresAt: z.number().nullable().optional(),
});
export type CliContext = z.infer<typeof cliContextSchema>;

const contextsFileSchema = z.object({
  current: z.string().nullable(),
  contexts: z.array(cliContextSchema),
});
export type ContextsFile = z.infer<typeof contextsFileSchema>;

export function contextsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "rampart", "contexts.json");
}

export function readContexts(path = contextsPath()): ContextsFile {
  if (!existsSync(path)) return { current: null, contexts: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    raw = undefined;
  }
  const parsed = contextsFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new RampartError("invalid_setting", `${path} is not a contexts file Rampart can read`, {
      hint: `move it aside and log in again: mv ${path} ${path}.bad && rampart login URL`,
    });
  }
  return parsed.data;
}

/** Atomic (temp file, fsync, rename) so a crash never leaves a half-written file of tokens; 0600 in 0700. */
export function writeContexts(file: ContextsFile, path = contextsPath()): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileAtomicSync(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
  chmodSync(path, 0o600);
}

export function currentContext(path = contextsPath()): CliContext | null {
  const file = readContexts(path);
  return file.contexts.find((c) => c.name === file.current) ?? null;
}

/** Adds or replaces the context of that name and makes it current. */
export function saveContext(context: CliContext, path = contextsPath()): void {
  const file = readContexts(path);
  writeContexts({ current: context.name, contexts: [...file.contexts.filter((c) => c.name !== context.name), context] }, path);
}

export function useContext(name: string, path = contextsPath()): CliContext {
  const file = readContexts(path);
  const context = file.contexts.find((c) => c.name === name);
  if (!context) throw unknownContext(name, file);
  writeContexts({ ...file, current: name }, path);
  return context;
}

/** Removes it; when it was current, no context is current until `rampart context use` or the next login. */
export function removeContext(name: string, path = contextsPath()): void {
  const file = readContexts(path);
  if (!file.contexts.some((c) => c.name === name)) throw unknownContext(name, file);
  writeContexts({ current: file.current === name ? null : file.current, contexts: file.contexts.filter((c) => c.name !== name) }, path);
}

function unknownContext(name: string, file: ContextsFile): RampartError {
  const names = file.contexts.map((c) => c.name);
  return new RampartError(
    "unknown_context",
    `no context named "${name}"; ${names.length === 0 ? "there are none yet" : `contexts: ${names.join(", ")}`}`,
    { hint: names.length === 0 ? "rampart login URL adds one" : "rampart context list shows them; rampart login URL --name NAME adds one" },
  );
}
