import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument, type Document } from "yaml";
import { crossChecks } from "./manifest.checks.ts";
import { ManifestError, sortIssues, type ManifestIssue, type PathIssue } from "./manifest-error.ts";
import { buildManifest } from "./manifest.resolve.ts";
import { manifestFileSchema } from "./manifest.schema.ts";
import type { Manifest } from "./resolved-manifest.schema.ts";
import { fromSchemaIssues } from "./schema-issues.ts";
import { duplicateKeys, formatPath, locate } from "./yaml-locate.ts";

/**
 * Reads rampart.yaml into the resolved manifest, or throws one ManifestError listing every
 * problem with its line, so nothing starts on a half-valid file.
 */

export type LoadOptions = {
  /** Also require each app's source directory to exist. */
  checkSources?: boolean;
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** yaml's messages repeat the position and quote the source; the issue carries both already. */
function yamlMessage(message: string): string {
  const first = message.split("\n")[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, "");
}

function sourceIssues(raw: unknown, dir: string): PathIssue[] {
  const issues: PathIssue[] = [];
  const apps = isRecord(raw) && isRecord(raw.apps) ? raw.apps : {};
  for (const [name, app] of Object.entries(apps)) {
    if (!isRecord(app) || typeof app.source !== "string" || app.source.trim() === "") continue;
    const absolute = resolve(dir, app.source);
    const stat = statSync(absolute, { throwIfNoEntry: false });
    const problem = stat === undefined ? "does not exist" : stat.isDirectory() ? undefined : "is not a directory";
    if (problem !== undefined) issues.push({ path: ["apps", name, "source"], message: `${absolute} ${problem}` });
  }
  return issues;
}

function located(file: string, doc: Document, lineCounter: LineCounter, issue: PathIssue): ManifestIssue {
  const target = issue.missing ? issue.path.slice(0, -1) : issue.path;
  const { line, column } = locate(doc, lineCounter, target, issue.missing ? "key" : (issue.at ?? "value"));
  return { file, line, column, path: formatPath(issue.path), message: issue.message };
}

/** `file` is how messages name the file (as the user gave it); relative paths resolve from its directory. */
export function parseManifest(text: string, file: string, options: LoadOptions = {}): Manifest {
  const path = resolve(file);
  const dir = dirname(path);
  const lineCounter = new LineCounter();
  // logLevel "error": a key that is a list or mapping is reported as an issue below, not as a warning on stderr.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, logLevel: "error" });

  // A syntax error's position is where the parser gave up; a duplicate key is reported at the repeated key.
  const issues: ManifestIssue[] = doc.errors
    .filter((error) => error.code !== "DUPLICATE_KEY")
    .map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return { file, line, column: col, path: "", message: `YAML syntax: ${yamlMessage(error.message)}` };
    });
  if (doc.errors.some((error) => error.code === "DUPLICATE_KEY")) {
    for (const duplicate of duplicateKeys(doc)) {
      const { line, col } = lineCounter.linePos(duplicate.offset);
      issues.push({ file, line, column: col, path: formatPath(duplicate.path), message: "duplicate key: each key may appear only once" });
    }
  }
  // A duplicate key still leaves a usable document; anything else would only add noise.
  if (doc.errors.some((error) => error.code !== "DUPLICATE_KEY")) throw new ManifestError(sortIssues(issues));
  if (doc.contents === null) {
    throw new ManifestError([
      { file, line: 1, column: 1, path: "", message: "the file is empty; `rampart init` writes a starter rampart.yaml" },
    ]);
  }

  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    // e.g. yaml's guard against alias bombs
    throw new ManifestError([{ file, line: 1, column: 1, path: "", message: `YAML: ${String(error)}` }]);
  }
  const result = manifestFileSchema.safeParse(raw);
  const pathIssues = result.success ? [] : fromSchemaIssues(result.error.issues, raw, manifestFileSchema);
  if (isRecord(raw)) pathIssues.push(...crossChecks(raw));
  if (options.checkSources) pathIssues.push(...sourceIssues(raw, dir));
  issues.push(...pathIssues.map((issue) => located(file, doc, lineCounter, issue)));

  if (issues.length > 0 || !result.success) throw new ManifestError(sortIssues(issues));
  return buildManifest(result.data, path, dir);
}

/** Reads and parses `file`. Source directories are checked unless `checkSources: false`. */
export function loadManifest(file: string, options: LoadOptions = {}): Manifest {
  return loadManifestText(file, options).manifest;
}

/** loadManifest, also returning the text it parsed (what `rampart export` writes back, comments and all). */
export function loadManifestText(file: string, options: LoadOptions = {}): { manifest: Manifest; text: string } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const reason =
      error instanceof Error && "code" in error && error.code === "ENOENT" ? "not found; `rampart init` writes a starter" : String(error);
    throw new ManifestError([{ file, line: 0, column: 0, path: "", message: reason }]);
  }
  return { manifest: parseManifest(text, file, { checkSources: true, ...options }), text };
}
