import { RE2JS } from "re2js";

/**
 * Alertmanager's label matchers (`app=api`, `env!=staging`, `app=~"api|web"`, `app!~"tmp-.*"`). Regular expressions
 * use RE2 semantics (linear time, no backreferences) and are anchored at both ends, as Alertmanager anchors them.
 */
export type MatchOp = "=" | "!=" | "=~" | "!~";

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

export type ParsedMatcher = { ok: true; matcher: LabelMatcher } | { ok: false; message: string };

const MATCHER = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;
const compiled = new Map<string, RE2JS>();

/** Parses `name OP value`; the value may be double-quoted. Regular expressions are checked here, so a bad one is a manifest or request error. */
export function parseMatcher(text: string): ParsedMatcher {
  const m = MATCHER.exec(text);
  if (!m)
    return {
      ok: false,
      message: `"${text}" is not a label matcher: expected NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX, e.g. app=api`,
    };
  const [, name = "", op = "=", raw = ""] = m;
  const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  const matcher: LabelMatcher = { name, op: op as MatchOp, value };
  if (matcher.op === "=~" || matcher.op === "!~") {
    try {
      regex(value);
    } catch (error) {
      return { ok: false, message: `"${text}": ${value} is not an RE2 regular expression (${(error as Error).message})` };
    }
  }
  return { ok: true, matcher };
}

/** Equality matchers from a `{ label: value }` mapping (the manifest's `match:`). */
export function equalityMatchers(match: Readonly<Record<string, string>>): LabelMatcher[] {
  return Object.entries(match).map(([name, value]) => ({ name, op: "=", value }));
}

function regex(pattern: string): RE2JS {
  let re = compiled.get(pattern);
  if (!re) {
    re = RE2JS.compile(`^(?:${pattern})$`);
    compiled.set(pattern, re);
  }
  return re;
}

/** A missing label counts as the empty string, as in Alertmanager (so `env!=prod` matches an alert with no env). */
export function matches(matcher: LabelMatcher, labels: Readonly<Record<string, string>>): boolean {
  // Own keys only: a matcher on `__proto__` or `constructor` must see "", not Object.prototype.
  const actual = Object.hasOwn(labels, matcher.name) ? (labels[matcher.name] ?? "") : "";
  switch (matcher.op) {
    case "=":
      return actual === matcher.value;
    case "!=":
      return actual !== matcher.value;
    case "=~":
      return regex(matcher.value).matches(actual);
    case "!~":
      return !regex(matcher.value).matches(actual);
  }
}

export function matchesAll(matchers: readonly LabelMatcher[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((m) => matches(m, labels));
}

export function formatMatcher(m: LabelMatcher): string {
  return `${m.name}${m.op}"${m.value}"`;
}
