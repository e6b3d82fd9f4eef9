import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ExitStatus, InstanceProcess, InstanceSpec } from "./runtime.types.ts";
import { writeFileAtomicSync } from "../shared/atomic-file.ts";

/**
 * The files the runner and the driver share in an instance's state dir. They are the only
 * channel between them: the runner is detached and outlives the driver's process.
 */

export const DEFAULT_LOG_MAX_BYTES = 16 * 1024 * 1024;

export function pidFilePath(stateDir: string): string {
  return join(stateDir, "pid.json");
}

export function exitFilePath(stateDir: string): string {
  return join(stateDir, "exit.json");
}

/** The spec travels in a file, not argv: argv is world-readable in /proc and capped at 128 KiB per argument. */
export function specFilePath(stateDir: string): string {
  return join(stateDir, "runner-spec.json");
}

/** Readers never see a half-written file: write a temp file, then rename over the target. */
export function writeJsonAtomic(path: string, value: unknown, mode = 0o644): void {
  writeFileAtomicSync(path, JSON.stringify(value), mode);
}

export function readJsonFile(path: string): unknown {
  try {
    // Checked by the parse* functions below before use.
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function parseInstanceProcess(value: unknown): InstanceProcess | null {
  if (!isRecord(value)) return null;
  const { pid, pidStart, runnerPid, runnerStart } = value;
  if (typeof pid !== "number" || typeof pidStart !== "string") return null;
  if (typeof runnerPid !== "number" || typeof runnerStart !== "string") return null;
  return { pid, pidStart, runnerPid, runnerStart };
}

export function parseExitStatus(value: unknown): ExitStatus | null {
  if (!isRecord(value)) return null;
  const { code, signal, at, error } = value;
  if (code !== null && typeof code !== "number") return null;
  if (signal !== null && typeof signal !== "string") return null;
  if (typeof at !== "number") return null;
  return typeof error === "string" ? { code, signal, at, error } : { code, signal, at };
}

export function parseInstanceSpec(value: unknown): InstanceSpec | null {
  if (!isRecord(value)) return null;
  const { id, cwd, command, env, logPath, stateDir, logMaxBytes, secrets, secretFiles } = value;
  if (typeof id !== "string" || typeof cwd !== "string" || typeof command !== "string") return null;
  if (typeof logPath !== "string" || typeof stateDir !== "string") return null;
  if (!isRecord(env) || !Object.values(env).every((v) => typeof v === "string")) return null;
  const spec: InstanceSpec = { id, cwd, command, env: env as Record<string, string>, logPath, stateDir };
  if (typeof logMaxBytes === "number" && logMaxBytes > 0) spec.logMaxBytes = logMaxBytes;
  if (isRecord(secrets) && Object.values(secrets).every((v) => typeof v === "string")) spec.secrets = secrets as Record<string, string>;
  if (secretFiles === true) spec.secretFiles = true;
  return spec;
}
