import { execFile } from "node:child_process";

/**
 * Where an artifact's source came from, when it lives in a git work tree. Purely
 * informational (shown on releases, used by DORA lead time): the artifact digest, not
 * the commit, is the identity, so anything odd here degrades to null instead of failing.
 */

export interface GitInfo {
  commit: string;
  /** Committer time of HEAD, ISO 8601 in UTC. */
  commitTime: string;
  /** Uncommitted changes (including untracked, not ignored, files) under `dir`. */
  dirty: boolean;
  /** Null on a detached HEAD. */
  branch: string | null;
}

const TIMEOUT_MS = 10_000;
const EXCLUDED_PATHSPECS = ["node_modules", ".rampart"].map((name) => `:(exclude,glob)**/${name}/**`);

/**
 * Null when `dir` is not inside a git work tree, the repository has no commit yet, or git
 * is not installed. Never throws for those.
 */
export async function gitInfo(dir: string): Promise<GitInfo | null> {
  const commit = await git(dir, ["rev-parse", "--verify", "-q", "HEAD"]);
  if (commit === null || !/^[0-9a-f]{40,64}$/.test(commit)) return null;
  const [time, status, branch] = await Promise.all([
    git(dir, ["log", "-1", "--format=%cI", commit]),
    // Same exclusions as the snapshot, so an un-ignored node_modules does not read as dirty.
    git(dir, ["status", "--porcelain", "--", ".", ...EXCLUDED_PATHSPECS]),
    git(dir, ["rev-parse", "--abbrev-ref", "HEAD"]),
  ]);
  const parsed = time === null ? Number.NaN : Date.parse(time);
  if (Number.isNaN(parsed) || status === null) return null;
  return {
    commit,
    commitTime: new Date(parsed).toISOString(),
    dirty: status !== "",
    branch: branch === null || branch === "HEAD" ? null : branch,
  };
}

/** Trimmed stdout, or null for any failure (no git, not a repo, non-zero exit, timeout). */
function git(dir: string, args: readonly string[]): Promise<string | null> {
  return new Promise((resolvePromise) => {
    execFile(
      "git",
      ["-C", dir, ...args],
      {
        timeout: TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
        env: gitEnv(),
      },
      (error, stdout) => resolvePromise(error ? null : stdout.trim()),
    );
  });
}

/**
 * Read-only look: no index.lock (it would race the user's own git), no prompts. GIT_DIR and
 * friends are dropped, or Rampart started from a git hook would ask about the wrong repo.
 */
function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_OPTIONAL_LOCKS: "0", GIT_TERMINAL_PROMPT: "0" };
  for (const name of ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR"]) delete env[name];
  return env;
}
