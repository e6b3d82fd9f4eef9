/**
 * Compiles targeting clauses to predicates once per snapshot: value lists become Sets, versions are parsed,
 * regular expressions are built, segments become closures. A predicate never allocates on the common paths.
 */
import { RE2JS } from "re2js";
import type { Clause, EvaluationContext } from "./flag-data.ts";
import { compareSemverText, parseSemver } from "./semver.ts";
import type { SemVer } from "./semver.ts";

export type Predicate = (context: EvaluationContext) => boolean;

/**
 * Regex bounds: a longer pattern is refused (the clause never matches); a longer input never matches. The engine
 * is RE2 (re2js), linear in the input whatever the pattern, so the input bound caps the cost of any rule.
 */
export const MAX_PATTERN_LENGTH = 256;
export const MAX_MATCH_INPUT_LENGTH = 1024;

export const never: Predicate = () => false;

/** Looks up a compiled segment by key; undefined for an unknown key (the clause then never matches). */
export type SegmentLookup = (key: string) => Predicate | undefined;

export interface ClauseProblem {
  attribute: string;
  operator: string;
  message: string;
}

type Attr = string | number | boolean;

function numberOf(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Set of the clause values in raw and string form, so "42" in a list matches the number 42 and back. */
function valueSet(values: Attr[]): Set<Attr> {
  const set = new Set<Attr>();
  for (const v of values) {
    set.add(v);
    set.add(String(v));
  }
  return set;
}

function inSet(set: Set<Attr>, value: Attr): boolean {
  return set.has(value) || (typeof value !== "string" && set.has(String(value)));
}

function stringOperator(values: Attr[], test: (subject: string, operand: string) => boolean): (v: Attr) => boolean {
  const operands = values.map(String);
  return (value) => {
    if (typeof value !== "string") return false;
    for (let i = 0; i < operands.length; i++) if (test(value, operands[i]!)) return true;
    return false;
  };
}

function numericOperator(values: Attr[], test: (subject: number, operand: number) => boolean): (v: Attr) => boolean {
  const operands = values.map(numberOf).filter((n): n is number => n !== undefined);
  return (value) => {
    const n = typeof value === "number" ? value : numberOf(value);
    if (n === undefined) return false;
    for (let i = 0; i < operands.length; i++) if (test(n, operands[i]!)) return true;
    return false;
  };
}

function semverOperator(values: Attr[], test: (cmp: number) => boolean, problems: ClauseProblem[], clause: Clause): (v: Attr) => boolean {
  const operands: SemVer[] = [];
  for (const v of values) {
    const parsed = parseSemver(String(v));
    if (parsed) operands.push(parsed);
    else problems.push({ attribute: clause.attribute, operator: clause.operator, message: `"${String(v)}" is not a semantic version` });
  }
  return (value) => {
    if (typeof value !== "string") return false;
    for (let i = 0; i < operands.length; i++) {
      const cmp = compareSemverText(value, operands[i]!);
      if (cmp !== undefined && test(cmp)) return true;
    }
    return false;
  };
}

/** What a compiled `matches` pattern does: find itself in the value. */
export interface Pattern {
  test(value: string): boolean;
}

/**
 * Compiles a `matches` pattern with RE2 (RE2 syntax; search anywhere in the value, like RegExp#test), or says why
 * not. Backreferences and lookaround have no linear-time implementation, so RE2 refuses them: the server uses
 * this to reject such a rule when it is written.
 */
export function compilePattern(source: string): Pattern | string {
  if (source.length > MAX_PATTERN_LENGTH) return `pattern longer than ${MAX_PATTERN_LENGTH} characters is refused`;
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^error parsing regexp: /, "") : String(err);
    const hint = /\\[1-9k]|\(\?<?[=!]/.test(source) ? " (backreferences and lookaround cannot run in linear time)" : "";
    return `invalid regular expression for RE2: ${reason}${hint}`;
  }
  // `^X$` is a full match of X, which re2js runs about 2.5x faster than a search with anchors.
  const body = anchoredBody(source);
  if (body === undefined || /^[*+?{]/.test(body)) return re; // "^*$" repeats the anchor: no body of its own
  try {
    const whole = RE2JS.compile(`(?:${body})`);
    return { test: (value) => whole.testExact(value) };
  } catch {
    return re; // a body that does not stand alone: the search is as correct, only slower
  }
}

/**
 * X when the pattern is `^X$` with both anchors applying to all of it: no top-level `|` (`^a|b$` is not anchored
 * at both ends), no flag groups (`(?m)` changes what `$` means), the `$` not escaped. Otherwise undefined.
 */
export function anchoredBody(source: string): string | undefined {
  if (source.length < 2 || source[0] !== "^" || !source.endsWith("$") || /\(\?[^:]|\\Q/.test(source)) return undefined;
  const body = source.slice(1, -1);
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\") {
      if (i === body.length - 1) return undefined; // the pattern ends with an escaped "\$"
      i++;
    } else if (c === "[") {
      // A class: "]" first (after an optional "^") is a literal; escapes are skipped.
      let j = i + 1;
      if (body[j] === "^") j++;
      if (body[j] === "]") j++;
      while (j < body.length && body[j] !== "]") j += body[j] === "\\" ? 2 : 1;
      if (j >= body.length) return undefined;
      i = j;
    } else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) return undefined;
  }
  return body;
}

function regexOperator(values: Attr[], problems: ClauseProblem[], clause: Clause): (v: Attr) => boolean {
  const patterns: Pattern[] = [];
  for (const v of values) {
    const compiled = compilePattern(String(v));
    if (typeof compiled === "string") problems.push({ attribute: clause.attribute, operator: clause.operator, message: compiled });
    else patterns.push(compiled);
  }
  return (value) => {
    if (typeof value !== "string" || value.length > MAX_MATCH_INPUT_LENGTH) return false;
    for (let i = 0; i < patterns.length; i++) if (patterns[i]!.test(value)) return true;
    return false;
  };
}

/** A missing attribute (undefined or null) fails every operator but the negated ones, which it satisfies. */
export function compileClause(clause: Clause, segments: SegmentLookup, problems: ClauseProblem[]): Predicate {
  const attribute = clause.attribute;
  const values = clause.values;
  if (clause.operator === "in_segment" || clause.operator === "not_in_segment") {
    const predicates: Predicate[] = [];
    for (const key of values) {
      const p = segments(String(key));
      if (p) predicates.push(p);
      else problems.push({ attribute, operator: clause.operator, message: `unknown segment "${String(key)}"` });
    }
    const negate = clause.operator === "not_in_segment";
    return (context) => {
      for (let i = 0; i < predicates.length; i++) if (predicates[i]!(context)) return !negate;
      return negate;
    };
  }
  let test: (v: Attr) => boolean;
  let negate = false;
  switch (clause.operator) {
    case "in":
    case "equals":
    case "not_in":
    case "not_equals": {
      // "equals any of" is membership in the value list; the negated forms differ only in the sign.
      negate = clause.operator === "not_in" || clause.operator === "not_equals";
      const set = valueSet(values);
      test = (v) => inSet(set, v);
      break;
    }
    case "starts_with":
      test = stringOperator(values, (s, o) => s.startsWith(o));
      break;
    case "ends_with":
      test = stringOperator(values, (s, o) => s.endsWith(o));
      break;
    case "contains":
      test = stringOperator(values, (s, o) => s.includes(o));
      break;
    case "lt":
      test = numericOperator(values, (s, o) => s < o);
      break;
    case "lte":
      test = numericOperator(values, (s, o) => s <= o);
      break;
    case "gt":
      test = numericOperator(values, (s, o) => s > o);
      break;
    case "gte":
      test = numericOperator(values, (s, o) => s >= o);
      break;
    case "semver_eq":
      test = semverOperator(values, (c) => c === 0, problems, clause);
      break;
    case "semver_lt":
      test = semverOperator(values, (c) => c < 0, problems, clause);
      break;
    case "semver_gt":
      test = semverOperator(values, (c) => c > 0, problems, clause);
      break;
    case "matches":
      test = regexOperator(values, problems, clause);
      break;
    default:
      problems.push({ attribute, operator: String(clause.operator), message: "unknown operator" });
      return never;
  }
  if (negate) {
    return (context) => {
      const v = context[attribute];
      return v === undefined || v === null || !test(v);
    };
  }
  return (context) => {
    const v = context[attribute];
    return v !== undefined && v !== null && test(v);
  };
}

/** All clauses must match (an empty list matches everything). */
export function compileClauses(clauses: Clause[], segments: SegmentLookup, problems: ClauseProblem[]): Predicate {
  const predicates = clauses.map((c) => compileClause(c, segments, problems));
  if (predicates.length === 0) return () => true;
  if (predicates.length === 1) return predicates[0]!;
  return (context) => {
    for (let i = 0; i < predicates.length; i++) if (!predicates[i]!(context)) return false;
    return true;
  };
}
