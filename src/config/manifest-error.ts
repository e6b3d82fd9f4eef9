import type { PathSegment } from "./yaml-locate.ts";

/** One problem in a manifest, located in its file. line/column are 1-based; 0 means the whole file. */
export type ManifestIssue = {
  file: string;
  line: number;
  column: number;
  /** Key path, e.g. "apps.web.health.interval"; "" for the file as a whole. */
  path: string;
  message: string;
};

/** A problem found before it is located in the file. */
export type PathIssue = {
  path: PathSegment[];
  message: string;
  /** Point at the key (unknown or undeclared names) rather than the value. */
  at?: "key" | "value";
  /** Point at the parent object: the key itself is missing. */
  missing?: boolean;
};

export function formatIssue(issue: ManifestIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : `${issue.file}:`;
  return issue.path === "" ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

/** All problems of one manifest at once, so a user fixes them in one round. */
export class ManifestError extends Error {
  readonly issues: readonly ManifestIssue[];

  constructor(issues: readonly ManifestIssue[]) {
    super(issues.map(formatIssue).join("\n"));
    this.name = "ManifestError";
    this.issues = issues;
  }
}

export function sortIssues(issues: readonly ManifestIssue[]): ManifestIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((issue) => {
    const key = `${issue.line}:${issue.column}:${issue.path}:${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => a.line - b.line || a.column - b.column || a.path.localeCompare(b.path));
}
