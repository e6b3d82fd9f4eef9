import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ManifestError } from "./manifest-error.ts";
import { parseManifest } from "./manifest.loader.ts";
import { resolveApp } from "./manifest.resolve.ts";
import { manifestCase, MANIFEST_FILE } from "./manifest.fixture.ts";

/**
 * Bad input never crashes the loader: whatever YAML comes in, it either loads or is refused with a ManifestError
 * whose every issue names a line (and, unless the whole file is at fault, a key path). What it accepts is sane
 * enough to run: finite numbers, timers Node can set, a config that survives the store's JSON round trip.
 */

const RUNS = Number(process.env.RAMPART_PROPERTY_RUNS ?? 10_000);
// Node's timers hold at most 2^31-1 ms; a longer one fires after 1 ms instead.
const MAX_TIMER_MS = 2 ** 31 - 1;
// Issues about the file as a whole carry no key path.
const WHOLE_FILE = /^(YAML|the file is empty|expected a mapping with name, environments and apps)/;

function problemWithRejection(text: string, error: unknown): string | undefined {
  if (!(error instanceof ManifestError))
    return `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)} instead of a ManifestError`;
  if (error.issues.length === 0) return "a ManifestError without issues";
  const lines = text.split("\n").length;
  for (const issue of error.issues) {
    const where = `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`;
    if (issue.file !== MANIFEST_FILE) return `issue names file ${issue.file}`;
    if (!Number.isInteger(issue.line) || issue.line < 1 || issue.line > lines) return `line outside 1..${lines}: ${where}`;
    if (!Number.isInteger(issue.column) || issue.column < 1) return `column below 1: ${where}`;
    if (typeof issue.message !== "string" || issue.message.trim() === "") return `no message: ${where}`;
    if (issue.path === "" && !WHOLE_FILE.test(issue.message)) return `no key path: ${where}`;
  }
  return undefined;
}

function problemWithAcceptance(text: string): string | undefined {
  const manifest = parseManifest(text, MANIFEST_FILE);
  for (const env of Object.keys(manifest.environments)) {
    for (const app of Object.keys(manifest.apps)) {
      const resolved = resolveApp(manifest, app, env);
      // Releases keep their config as JSON: what is accepted must come back the same.
      const stored = JSON.stringify(resolved);
      if (JSON.stringify(JSON.parse(stored)) !== stored || !isDeepStrictEqual(JSON.parse(stored), resolved))
        return `${app}/${env}: config does not survive JSON`;
      const bad = badNumber(resolved, app);
      if (bad) return `${env}: ${bad}`;
    }
  }
  return undefined;
}

function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

/** A non-finite number anywhere, or a duration (…Ms) no timer can hold. */
function badNumber(value: unknown, path: string): string | undefined {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return `${path} is ${value}`;
    if (/Ms$/.test(path) && value > MAX_TIMER_MS) return `${path} is ${value} ms, beyond what a timer can wait`;
    return undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, child] of Object.entries(value)) {
    const bad = badNumber(child, `${path}.${key}`);
    if (bad) return bad;
  }
  return undefined;
}

describe("the manifest loader under generated YAML", () => {
  it(`loads or refuses with a located ManifestError, ${RUNS} cases`, () => {
    let accepted = 0;
    fc.assert(
      fc.property(manifestCase, (text) => {
        let problem: string | undefined;
        try {
          problem = problemWithAcceptance(text);
          accepted++;
        } catch (error) {
          problem = problemWithRejection(text, error);
        }
        if (problem !== undefined) throw new Error(`${problem}\n--- rampart.yaml ---\n${text}`);
      }),
      { numRuns: RUNS, seed: process.env.RAMPART_PROPERTY_SEED ? Number(process.env.RAMPART_PROPERTY_SEED) : undefined },
    );
    // The generator must reach the accepting side too, or it only ever tests the first error.
    assert.ok(accepted > RUNS / 50, `only ${accepted} of ${RUNS} generated manifests were valid`);
  });
});
