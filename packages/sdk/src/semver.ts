/**
 * SemVer 2.0 for targeting, as strict as the `semver` package: MAJOR.MINOR.PATCH[-prerelease][+build] with an
 * optional leading "v", no leading zeros in numbers or numeric prerelease identifiers, identifiers of
 * [0-9A-Za-z-] and never empty. Parsing the context's value allocates only when it carries a prerelease, and
 * the rule's versions are parsed once at compile time.
 */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  /** Dot-separated identifiers, "" when none. Build metadata is ignored, as SemVer says. */
  prerelease: string;
}

/** The `semver` package's MAX_LENGTH. */
const MAX_LENGTH = 256;

// Scratch target of parseInto so comparing a context value against a rule's version does not allocate.
const scratch: SemVer = { major: 0, minor: 0, patch: 0, prerelease: "" };

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isIdentifierChar = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d; /* - */

/**
 * Checks dot-separated identifiers in text[from, to): none empty, only [0-9A-Za-z-]; with `numericNoZero`, an
 * all-digit identifier has no leading zero (prerelease rule; build metadata may have them).
 */
function validIdentifiers(text: string, from: number, to: number, numericNoZero: boolean): boolean {
  let start = from;
  let digitsOnly = true;
  for (let i = from; i <= to; i++) {
    if (i === to || text.charCodeAt(i) === 0x2e /* . */) {
      if (i === start) return false;
      if (numericNoZero && digitsOnly && i - start > 1 && text.charCodeAt(start) === 0x30) return false;
      start = i + 1;
      digitsOnly = true;
      continue;
    }
    const c = text.charCodeAt(i);
    if (!isIdentifierChar(c)) return false;
    if (!isDigit(c)) digitsOnly = false;
  }
  return true;
}

function parseInto(text: string, out: SemVer): boolean {
  if (text.length > MAX_LENGTH) return false;
  let i = text.charCodeAt(0) === 0x76 /* v */ ? 1 : 0;
  const parts = [0, 0, 0];
  for (let p = 0; p < 3; p++) {
    const begin = i;
    let n = 0;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (!isDigit(c)) break;
      n = n * 10 + (c - 0x30);
      i++;
    }
    if (i === begin || n > Number.MAX_SAFE_INTEGER) return false;
    if (i - begin > 1 && text.charCodeAt(begin) === 0x30) return false; // 01.2.3
    parts[p] = n;
    if (p < 2) {
      if (text.charCodeAt(i) !== 0x2e /* . */) return false;
      i++;
    }
  }
  let prereleaseEnd = text.length;
  if (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x2b /* + */ && c !== 0x2d /* - */) return false;
    const plus = text.indexOf("+", i);
    if (plus >= 0) {
      if (!validIdentifiers(text, plus + 1, text.length, false)) return false;
      prereleaseEnd = plus;
    }
    if (c === 0x2d && !validIdentifiers(text, i + 1, prereleaseEnd, true)) return false;
  }
  out.major = parts[0]!;
  out.minor = parts[1]!;
  out.patch = parts[2]!;
  out.prerelease = i < prereleaseEnd && text.charCodeAt(i) === 0x2d ? text.slice(i + 1, prereleaseEnd) : "";
  return true;
}

export function parseSemver(text: string): SemVer | undefined {
  const out: SemVer = { major: 0, minor: 0, patch: 0, prerelease: "" };
  return parseInto(text, out) ? out : undefined;
}

function comparePrerelease(a: string, b: string): number {
  if (a === b) return 0;
  if (a === "") return 1; // a release ranks above its prereleases
  if (b === "") return -1;
  const as = a.split(".");
  const bs = b.split(".");
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const x = as[i]!;
    const y = bs[i]!;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d < 0 ? -1 : 1;
    } else if (xn !== yn) {
      return xn ? -1 : 1; // numeric identifiers rank below alphanumeric ones
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return as.length === bs.length ? 0 : as.length < bs.length ? -1 : 1;
}

export function compareSemver(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch !== b.patch) return a.patch < b.patch ? -1 : 1;
  return comparePrerelease(a.prerelease, b.prerelease);
}

/** Compares a context's version string with a parsed one; undefined when the text is not a version. */
export function compareSemverText(text: string, against: SemVer): number | undefined {
  return parseInto(text, scratch) ? compareSemver(scratch, against) : undefined;
}
