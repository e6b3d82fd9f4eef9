import type { FieldIssue } from "../api/validation.ts";
import { RampartError } from "../shared/errors.ts";
import { compilePattern, MAX_PATTERN_LENGTH } from "../../packages/sdk/src/clauses.ts";
import type { Clause, FlagValueType, Prerequisite, Serve, Variation } from "../../packages/sdk/src/flag-data.ts";
import { parseSemver } from "../../packages/sdk/src/semver.ts";
import type { FlagEnvState, FlagRecord, SegmentState } from "./flag.types.ts";

/** Throws one 400 naming every bad field, or returns. */
export function assertValid(issues: FieldIssue[], what: string): void {
  if (issues.length === 0) return;
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join("; ");
  throw new RampartError("invalid_request", `invalid ${what}: ${summary}`, { details: issues });
}

export function valueMatchesType(type: FlagValueType, value: unknown): boolean {
  switch (type) {
    case "boolean":
      return typeof value === "boolean";
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "json":
      return typeof value === "object" && value !== null; // an object or a list, as OpenFeature's object flags
  }
}

/** A flag's variations: distinct keys, values of the flag's type, and an off variation among them. */
export function checkDefinition(flag: Pick<FlagRecord, "type" | "variations" | "offVariation">, at = "body"): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  flag.variations.forEach((v, i) => {
    if (seen.has(v.key))
      issues.push({ field: `${at}.variations.${i}.key`, message: `"${v.key}" is used twice: variation keys must be distinct` });
    seen.add(v.key);
    if (!valueMatchesType(flag.type, v.value))
      issues.push({
        field: `${at}.variations.${i}.value`,
        message: `expected a ${flag.type} value for a ${flag.type} flag, got ${JSON.stringify(v.value)}`,
      });
  });
  if (!seen.has(flag.offVariation))
    issues.push({ field: `${at}.offVariation`, message: `"${flag.offVariation}" is not one of the variations (${[...seen].join(", ")})` });
  return issues;
}

/** What a state may refer to outside itself, in the same environment. */
export interface StateContext {
  segments: ReadonlySet<string>;
  /** Other flags' variations, for prerequisites. */
  flags: ReadonlyMap<string, readonly Variation[]>;
  /** Each flag's prerequisites in this environment (the one being checked excluded), for cycle detection. */
  prerequisites: ReadonlyMap<string, readonly Prerequisite[]>;
}

/** A flag's state in one environment against its definition and the environment's flags and segments. */
export function checkState(flag: FlagRecord, state: FlagEnvState, context: StateContext, at = "body"): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const keys = new Set(flag.variations.map((v) => v.key));
  const variation = (field: string, key: string) => {
    if (!keys.has(key)) issues.push({ field, message: `"${key}" is not a variation of ${flag.key} (${[...keys].join(", ")})` });
  };
  const serve = (field: string, s: Serve) => {
    if ("variation" in s) return variation(`${field}.variation`, s.variation);
    s.rollout.variations.forEach((w, i) => variation(`${field}.rollout.variations.${i}.variation`, w.variation));
    variation(`${field}.rollout.outVariation`, s.rollout.outVariation);
  };
  const ids = new Set<string>();
  state.rules.forEach((rule, i) => {
    if (rule.id !== undefined && ids.has(rule.id))
      issues.push({ field: `${at}.rules.${i}.id`, message: `rule id "${rule.id}" is used twice` });
    ids.add(rule.id);
    rule.clauses.forEach((clause, j) => issues.push(...checkClause(clause, context.segments, `${at}.rules.${i}.clauses.${j}`)));
    serve(`${at}.rules.${i}.serve`, rule.serve);
  });
  serve(`${at}.fallthrough`, state.fallthrough);
  state.prerequisites.forEach((p, i) => {
    const field = `${at}.prerequisites.${i}`;
    if (p.flag === flag.key) return issues.push({ field: `${field}.flag`, message: "a flag cannot be its own prerequisite" });
    const other = context.flags.get(p.flag);
    if (!other) return issues.push({ field: `${field}.flag`, message: `no flag "${p.flag}" (create it first)` });
    if (!other.some((v) => v.key === p.variation))
      issues.push({
        field: `${field}.variation`,
        message: `"${p.variation}" is not a variation of ${p.flag} (${other.map((v) => v.key).join(", ")})`,
      });
    const cycle = findCycle(flag.key, p.flag, context.prerequisites);
    if (cycle) issues.push({ field: `${field}.flag`, message: `prerequisite cycle: ${[flag.key, ...cycle].join(" → ")}` });
  });
  return issues;
}

/** A path from `start` back to `origin` through the prerequisites, or null. */
function findCycle(origin: string, start: string, graph: ReadonlyMap<string, readonly Prerequisite[]>): string[] | null {
  const seen = new Set<string>();
  const walk = (node: string, path: string[]): string[] | null => {
    if (node === origin) return path;
    if (seen.has(node)) return null;
    seen.add(node);
    for (const next of graph.get(node) ?? []) {
      const found = walk(next.flag, [...path, next.flag]);
      if (found) return found;
    }
    return null;
  };
  return walk(start, [start]);
}

export function checkSegment(segment: SegmentState, segments: ReadonlySet<string>, at = "body"): FieldIssue[] {
  return segment.rules.flatMap((rule, i) =>
    rule.clauses.flatMap((clause, j) => checkClause(clause, segments, `${at}.rules.${i}.clauses.${j}`)),
  );
}

/** The values' types an operator needs, patterns that compile, versions that parse, segments that exist. */
export function checkClause(clause: Clause, segments: ReadonlySet<string>, at: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  clause.values.forEach((value, k) => {
    const field = `${at}.values.${k}`;
    switch (clause.operator) {
      case "lt":
      case "lte":
      case "gt":
      case "gte":
        if (typeof value !== "number")
          issues.push({ field, message: `${clause.operator} compares numbers: expected a number, got ${JSON.stringify(value)}` });
        break;
      case "starts_with":
      case "ends_with":
      case "contains":
        if (typeof value !== "string")
          issues.push({ field, message: `${clause.operator} compares text: expected a string, got ${JSON.stringify(value)}` });
        break;
      case "semver_eq":
      case "semver_lt":
      case "semver_gt":
        if (typeof value !== "string" || !parseSemver(value))
          issues.push({ field, message: `expected a semantic version such as "1.4.0", got ${JSON.stringify(value)}` });
        break;
      case "matches":
        issues.push(...checkPattern(value, field));
        break;
      case "in_segment":
      case "not_in_segment":
        if (typeof value !== "string" || !segments.has(value))
          issues.push({
            field,
            message: `no segment ${JSON.stringify(value)} in this environment${segments.size > 0 ? ` (segments: ${[...segments].join(", ")})` : " (create it with rampart flags segments set)"}`,
          });
        break;
      default:
        break;
    }
  });
  return issues;
}

function checkPattern(value: unknown, field: string): FieldIssue[] {
  if (typeof value !== "string")
    return [{ field, message: `matches takes a regular expression as a string, got ${JSON.stringify(value)}` }];
  if (value.length > MAX_PATTERN_LENGTH)
    return [{ field, message: `the pattern is ${value.length} characters long: at most ${MAX_PATTERN_LENGTH}` }];
  const compiled = compilePattern(value);
  return typeof compiled === "string"
    ? [{ field, message: `${compiled}; write it in RE2 syntax (github.com/google/re2/wiki/Syntax)` }]
    : [];
}
