/**
 * Just enough SemVer 2.0 for targeting: MAJOR.MINOR.PATCH[-prerelease][+build], an optional leading "v".
 * Parsing the context's value allocates only when it carries a prerelease, and the rule's versions are
 * parsed once at compile time.
 */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  /** Dot-separated identifiers, "" when none. Build metadata is ignored, as SemVer says. */
  prerelease: string;
}

// Scratch target of parseInto so comparing a context value against a rule's version does not allocate.
const scratch: SemVer = { major: 0, minor: 0, patch: 0, prerelease: "" };

function parseInto(text: string, out: SemVer): boolean {
  if (text.length > 256) return false;
  let i = text.charCodeAt(0) === 0x76 /* v */ ? 1 : 0;
  const parts = [0, 0, 0];
  for (let p = 0; p < 3; p++) {
    const begin = i;
    let n = 0;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
      i++;
    }
    if (i === begin || n > Number.MAX_SAFE_INTEGER) return false;
    parts[p] = n;
    if (p < 2) {
      if (text.charCodeAt(i) !== 0x2e /* . */) return false;
      i++;
    }
  }
  out.major = parts[0]!;
  out.minor = parts[1]!;
  out.patch = parts[2]!;
  out.prerelease = "";
  if (i === text.length) return true;
  const c = text.charCodeAt(i);
  if (c === 0x2b /* + */) return true;
  if (c !== 0x2d /* - */) return false;
  const plus = text.indexOf("+", i + 1);
  out.prerelease = text.slice(i + 1, plus < 0 ? text.length : plus);
  return out.prerelease.length > 0;
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
