import { open, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Finding } from "./readiness.types.ts";

/**
 * Scans an artifact's files for secrets: known token formats (as gitleaks and GitHub secret scanning know them),
 * secret-looking assignments and high-entropy literals, and the app's own secret values. A finding names the file,
 * the line and the kind, never the value: the report goes to the API, the CLI and the event log.
 */

interface Rule {
  kind: string;
  pattern: RegExp;
}

/** Known formats: prefixes chosen by the issuers so that scanners like this one recognise them. */
const RULES: readonly Rule[] = [
  { kind: "aws_access_key", pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/ },
  {
    kind: "aws_secret_key",
    pattern: /aws.{0,20}?(?:secret|private).{0,20}?[=:]\s*["']?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/i,
  },
  { kind: "github_token", pattern: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b/ },
  { kind: "github_token", pattern: /\bgithub_pat_[A-Za-z0-9_]{60,}\b/ },
  { kind: "slack_token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { kind: "slack_webhook", pattern: /hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]{16,}/ },
  { kind: "stripe_key", pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b/ },
  { kind: "private_key", pattern: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY(?: BLOCK)?-----/ },
  { kind: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/ },
  { kind: "rampart_token", pattern: /\brampart_(?:pat|svc|ses)_[A-Za-z0-9_-]{43}/ },
];

/** A secret-sounding name given a literal: `API_KEY = "…"`, `password: '…'`. */
const ASSIGNMENT =
  /\b[\w.-]*(?:secret|passw(?:or)?d|pwd|token|api[_-]?key|access[_-]?key|auth[_-]?key|credential)[\w.-]*["']?\s*[:=]\s*["'`]([^"'`\s]{12,})["'`]/i;
/** A long unbroken literal of base64/base62-ish characters. */
const LONG_LITERAL = /["'`=:]\s*["'`]?([A-Za-z0-9+/_-]{32,}={0,2})(?![A-Za-z0-9+/_=-])/g;

/** A line carrying this is not reported (a test fixture, a public key that looks like a secret). */
export const ALLOW_MARKER = "rampart:allow-secret";

/** Directories never scanned: dependencies installed by the build and version control. */
const SKIPPED_DIRS = new Set(["node_modules", ".git"]);
/** Lockfiles are full of integrity hashes, which are high-entropy by design and not secrets. */
const SKIPPED_FILES = new Set(["package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock"]);
const MAX_FILE_BYTES = 2 * 1024 * 1024;
const MAX_FILES = 20_000;
/** Own secret values shorter than this would match ordinary text (`true`, `8080`). */
export const MIN_SECRET_VALUE_LENGTH = 8;

export interface ScanResult {
  findings: Finding[];
  scannedFiles: number;
  /** Files left out: too large, binary, or past the file limit. */
  skippedFiles: number;
}

export interface OwnSecret {
  name: string;
  value: string;
}

export async function scanArtifact(dir: string, ownSecrets: readonly OwnSecret[]): Promise<ScanResult> {
  const own = ownSecrets.filter((s) => s.value.length >= MIN_SECRET_VALUE_LENGTH);
  const findings: Finding[] = [];
  let scannedFiles = 0;
  let skippedFiles = 0;
  for await (const path of walk(dir)) {
    if (scannedFiles >= MAX_FILES) {
      skippedFiles++;
      continue;
    }
    const text = await readText(path);
    if (text === null) {
      skippedFiles++;
      continue;
    }
    scannedFiles++;
    findings.push(...scanText(relative(dir, path), text, own));
  }
  return { findings, scannedFiles, skippedFiles };
}

/** The findings of one file's text (exported for the unit tests). */
export function scanText(file: string, text: string, own: readonly OwnSecret[] = []): Finding[] {
  const findings: Finding[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.includes(ALLOW_MARKER)) return;
    const kinds = new Set<string>();
    for (const rule of RULES) if (rule.pattern.test(line)) kinds.add(rule.kind);
    for (const secret of own) if (line.includes(secret.value)) kinds.add(`app_secret:${secret.name}`);
    if (kinds.size === 0) {
      const assigned = ASSIGNMENT.exec(line)?.[1];
      if (assigned !== undefined && looksRandom(assigned, 3.0)) kinds.add("secret_assignment");
      else if ([...line.matchAll(LONG_LITERAL)].some((m) => looksRandom(m[1] ?? "", 4.3) && !isDigestLike(line))) kinds.add("high_entropy");
    }
    for (const kind of kinds) findings.push({ file, line: i + 1, kind });
  });
  // A value that spans lines (a PEM-like secret of the app's own) is still found, at the line where it starts.
  for (const secret of own) {
    if (!secret.value.includes("\n")) continue;
    const at = text.indexOf(secret.value);
    if (at >= 0) findings.push({ file, line: text.slice(0, at).split("\n").length, kind: `app_secret:${secret.name}` });
  }
  return findings;
}

/** Shannon entropy in bits per character, with letters and digits mixed: what a generated key looks like. */
function looksRandom(value: string, minBits: number): boolean {
  if (!/[0-9]/.test(value) || !/[A-Za-z]/.test(value)) return false;
  // A template literal or a call builds its value at run time: code, not a secret.
  if (/[${}()]/.test(value)) return false;
  // A path or URL (`/api/v1/heartbeats/…`) is made of words; a generated key hardly ever has two whole words.
  if (value.split(/[/.]/).filter((part) => /^[a-z]{3,}$|^[A-Z][a-z]{2,}$|^[A-Z]{3,}$/.test(part)).length >= 2) return false;
  if (/^(?:x+|\*+|changeme|your[_-]|example|placeholder)/i.test(value)) return false;
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits >= minBits;
}

/** Subresource integrity and content digests (`sha512-…`, `sha256:…`) are public by design. */
function isDigestLike(line: string): boolean {
  return /\b(?:integrity|sha(?:1|256|384|512))\b|sha(?:1|256|384|512)[-:]/i.test(line);
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* walk(path);
    } else if (entry.isFile() && !SKIPPED_FILES.has(entry.name)) yield path;
  }
}

/** The file as text, or null when it is too large or binary (a NUL byte in its first 8 KiB). */
async function readText(path: string): Promise<string | null> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    if (size > MAX_FILE_BYTES) return null;
    const bytes = await handle.readFile();
    if (bytes.subarray(0, 8192).includes(0)) return null;
    return bytes.toString("utf8");
  } finally {
    await handle.close();
  }
}
