import { RampartError } from "./errors.ts";

/**
 * A data dir that cannot be written (full, or read-only / not writable for the user running Rampart) is the
 * operator's to fix, not a bug: these errors are told apart so the API answers with what to do instead of a 500,
 * and the supervisor does not mistake the platform's own storage for an app that keeps crashing.
 */
export type StorageProblem = "full" | "read-only";

const FULL_ERRNO = new Set(["ENOSPC", "EDQUOT", "EFBIG"]);
const READ_ONLY_ERRNO = new Set(["EROFS", "EACCES", "EPERM"]);
// SQLite primary result codes; extended codes keep the primary one in the low byte.
const SQLITE_READONLY = 8;
const SQLITE_FULL = 13;

function field(error: unknown, name: string): unknown {
  return typeof error === "object" && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}

/**
 * Which storage problem `error` is, if any. A permission error counts only when it is about a path inside
 * `dataDir` (reading a user's source directory without permission is their input's problem, not storage).
 */
export function storageProblem(error: unknown, dataDir?: string): StorageProblem | undefined {
  const code = field(error, "code");
  const errcode = field(error, "errcode");
  if (code === "ERR_SQLITE_ERROR" && typeof errcode === "number") {
    if ((errcode & 0xff) === SQLITE_FULL) return "full";
    if ((errcode & 0xff) === SQLITE_READONLY) return "read-only";
    return undefined;
  }
  if (typeof code !== "string") return undefined;
  if (FULL_ERRNO.has(code)) return "full";
  if (!READ_ONLY_ERRNO.has(code)) return undefined;
  const paths = [field(error, "path"), field(error, "dest")].filter((p): p is string => typeof p === "string");
  return dataDir === undefined || paths.some((p) => p === dataDir || p.startsWith(`${dataDir}/`)) ? "read-only" : undefined;
}

/** The API's answer for a storage problem: 507 when full, 503 when not writable; nothing was changed. */
export function storageError(error: unknown, dataDir: string): RampartError | undefined {
  const problem = storageProblem(error, dataDir);
  if (problem === undefined) return undefined;
  const detail = error instanceof Error ? error.message : String(error);
  // The hints (what to do) are the catalogue's defaults for these codes.
  return problem === "full"
    ? new RampartError("data_dir_full", `the data dir ${dataDir} is full (${detail}); nothing was changed`)
    : new RampartError("data_dir_read_only", `the data dir ${dataDir} is not writable (${detail}); nothing was changed`);
}
