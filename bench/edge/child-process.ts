import { spawn, type ChildProcess } from "node:child_process";

/** Bench helpers for the processes a run starts: wait for a ready line, collect output, stop them all. */

const children = new Set<ChildProcess>();

export interface Started {
  child: ChildProcess;
  /** The first capture group of the ready pattern. */
  match: string;
}

/**
 * Spawns a process and resolves once its stdout matches `ready` (or rejects when it exits or times out). `env` is
 * added to this process's environment.
 */
export function startProcess(
  command: string,
  args: string[],
  ready: RegExp,
  timeoutMs = 10_000,
  env: Record<string, string> = {},
): Promise<Started> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let out = "";
  let err = "";
  child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} not ready within ${timeoutMs} ms: ${err}`)), timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = ready.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, match: m[1] ?? "" });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code}) before ready: ${err}`));
    });
  });
}

/** Runs a command to completion and returns its stdout (rejects on a non-zero exit). */
export function runToEnd(command: string, args: string[]): Promise<string> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      children.delete(child);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${err}${out}`));
    });
  });
}

/**
 * Cleanup on exit: nothing this bench started may outlive it. SIGTERM rather than SIGKILL: nginx's
 * master then stops its workers (killed outright it would orphan them) and the edge's primary its own.
 */
export function killAllSync(): void {
  for (const child of children) child.kill("SIGTERM");
}
