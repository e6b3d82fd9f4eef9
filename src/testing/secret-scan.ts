import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Every regular file under `dir` (recursively), except huge ones: what a scan for leaked secrets reads. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return [];
    return stat.isDirectory() ? filesUnder(path) : stat.isFile() && stat.size < 64 * 1024 * 1024 ? [path] : [];
  });
}

/** The files' bytes as text (latin1: a secret's ASCII survives whatever else is in a database page). */
export function fileTexts(files: string[]): string[] {
  return files.map((f) => readFileSync(f).toString("latin1"));
}

/** Which secrets (their first 14 characters, enough to tell them apart, not to use them) occur in which haystacks. */
export function secretHits(secrets: Iterable<string>, haystacks: string[]): string[] {
  const hits: string[] = [];
  for (const secret of secrets) for (const text of haystacks) if (text.includes(secret)) hits.push(secret.slice(0, 14));
  return hits;
}

export interface ScannedCallOptions {
  token?: string;
  cookie?: string;
  body?: unknown;
  /** The one answer that hands a secret out: not kept for the scan. */
  handsOut?: boolean;
}

/**
 * A raw HTTP caller whose every answer body is pushed to `seen` (scanned at the end for leaked secrets), unless it is
 * the one answer that hands a secret out.
 */
export function scannedCaller(baseUrl: () => string, seen: string[]) {
  return async (method: string, path: string, options: ScannedCallOptions = {}) => {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.cookie !== undefined) headers.cookie = options.cookie;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${baseUrl()}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    if (!options.handsOut) seen.push(text);
    return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
  };
}
