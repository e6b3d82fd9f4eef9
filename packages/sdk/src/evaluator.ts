/**
 * The one flag evaluation engine, shared by the SDK, the OpenFeature provider and the server (OFREP,
 * `rampart flags get --context`). A snapshot is compiled once into closures; every result a flag can give
 * (variation x reason) is built and frozen at compile time, so an evaluation allocates nothing on its
 * normal paths and callers receive shared, immutable results.
 */
import type {
  EvaluationContext,
  EvaluationErrorCode,
  EvaluationReason,
  EvaluationResult,
  FlagDefinition,
  FlagSnapshot,
  Serve,
  Variation,
} from "./flag-data.ts";
import { ROLLOUT_SEED, VARIANT_SEED } from "./flag-data.ts";
import { compileClauses } from "./clauses.ts";
import type { ClauseProblem, Predicate, SegmentLookup } from "./clauses.ts";
import { segmentLookup } from "./segments.ts";
import { bucketSalted } from "./murmur3.ts";

/** Prerequisite chains deeper than this are treated as a cycle: the flag serves its off variation. */
const MAX_PREREQUISITE_DEPTH = 16;

export interface CompileProblem {
  flag?: string;
  segment?: string;
  message: string;
}

export interface CompiledFlag {
  readonly key: string;
  readonly definition: FlagDefinition;
  evaluate(context: EvaluationContext, depth: number): EvaluationResult;
}

export interface CompiledFlags {
  readonly env: string;
  readonly version: number;
  readonly snapshot: FlagSnapshot;
  readonly flags: ReadonlyMap<string, CompiledFlag>;
  /** What could not be compiled as written (bad regex, unknown variation, ...); the affected part never matches. */
  readonly problems: readonly CompileProblem[];
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function errorResult(
  key: string,
  value: Variation["value"],
  errorCode: EvaluationErrorCode,
  errorMessage: string,
): EvaluationResult {
  return { key, value, variation: "", reason: "ERROR", errorCode, errorMessage };
}

type Rule = { matches: Predicate; serve: (context: EvaluationContext) => EvaluationResult };

function compileFlag(
  flag: FlagDefinition,
  all: Map<string, CompiledFlag>,
  segments: SegmentLookup,
  problems: CompileProblem[],
): CompiledFlag {
  const values = new Map<string, Variation["value"]>(flag.variations.map((v) => [v.key, deepFreeze(structuredClone(v.value))]));
  const cache = new Map<string, EvaluationResult>();
  let broken: string | undefined;
  const result = (variation: string, reason: EvaluationReason): EvaluationResult => {
    const id = `${reason}\u0000${variation}`;
    let r = cache.get(id);
    if (!r) {
      if (!values.has(variation)) {
        broken ??= `refers to unknown variation "${variation}"`;
        r = errorResult(flag.key, null, "PARSE_ERROR", `flag "${flag.key}" refers to unknown variation "${variation}"`);
      } else {
        r = { key: flag.key, value: values.get(variation)!, variation, reason };
      }
      cache.set(id, Object.freeze(r));
    }
    return r;
  };
  const clauseProblems: ClauseProblem[] = [];

  const compileServe = (serve: Serve, fixedReason: EvaluationReason, missingReason: EvaluationReason) => {
    if ("variation" in serve) {
      const fixed = result(serve.variation, fixedReason);
      return () => fixed;
    }
    const { by, percentage, variations, outVariation } = serve.rollout;
    const salt = flag.salt;
    const threshold = Math.round(Math.min(100, Math.max(0, percentage)) * 1000);
    const weighted = variations.filter((w) => w.weight > 0 && Number.isFinite(w.weight));
    if (weighted.length === 0) broken ??= "has a rollout without any variation of positive weight";
    const total = weighted.reduce((sum, w) => sum + w.weight, 0);
    let cumulative = 0;
    const bounds = weighted.map((w) => Math.round(((cumulative += w.weight) / total) * 100000));
    const inResults = weighted.map((w) => result(w.variation, "SPLIT"));
    const outSplit = result(outVariation, "SPLIT");
    const outMissing = result(outVariation, missingReason);
    const single = inResults.length === 1 ? inResults[0]! : undefined;
    return (context: EvaluationContext): EvaluationResult => {
      const raw = context[by];
      if (raw === undefined || raw === null || raw === "") return outMissing;
      const id = typeof raw === "string" ? raw : String(raw);
      if (bucketSalted(salt, id, ROLLOUT_SEED) >= threshold) return outSplit;
      if (single) return single;
      const bucket = bucketSalted(salt, id, VARIANT_SEED);
      for (let i = 0; i < bounds.length; i++) if (bucket < bounds[i]!) return inResults[i]!;
      return inResults[inResults.length - 1] ?? outSplit;
    };
  };

  const off = result(flag.offVariation, "DISABLED");
  const prerequisiteFailed = result(flag.offVariation, "PREREQUISITE_FAILED");
  const isStatic = flag.rules.length === 0 && flag.prerequisites.length === 0 && "variation" in flag.fallthrough;
  const fallthrough = compileServe(flag.fallthrough, isStatic ? "STATIC" : "DEFAULT", "DEFAULT");
  const rules: Rule[] = flag.rules.map((rule) => ({
    matches: compileClauses(rule.clauses, segments, clauseProblems),
    serve: compileServe(rule.serve, "TARGETING_MATCH", "TARGETING_MATCH"),
  }));
  const prerequisites = flag.prerequisites;
  for (const p of clauseProblems) problems.push({ flag: flag.key, message: `${p.attribute} ${p.operator}: ${p.message}` });
  if (broken) {
    problems.push({ flag: flag.key, message: broken });
    const failure = errorResult(flag.key, null, "PARSE_ERROR", `flag "${flag.key}" ${broken}`);
    return { key: flag.key, definition: flag, evaluate: () => failure };
  }
  const enabled = flag.enabled;

  const evaluate = (context: EvaluationContext, depth: number): EvaluationResult => {
    if (!enabled) return off;
    for (let i = 0; i < prerequisites.length; i++) {
      const p = prerequisites[i]!;
      const other = all.get(p.flag);
      if (!other || depth >= MAX_PREREQUISITE_DEPTH) return prerequisiteFailed;
      if (other.evaluate(context, depth + 1).variation !== p.variation) return prerequisiteFailed;
    }
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (rule.matches(context)) return rule.serve(context);
    }
    return fallthrough(context);
  };
  return { key: flag.key, definition: flag, evaluate };
}

export function compileSnapshot(snapshot: FlagSnapshot): CompiledFlags {
  const problems: CompileProblem[] = [];
  const clauseProblems: ClauseProblem[] = [];
  const segments = segmentLookup(snapshot.segments, clauseProblems);
  // Segments compile lazily; compile them all now so problems in unused ones are reported too.
  for (const s of snapshot.segments) segments(s.key);
  for (const p of clauseProblems) problems.push({ message: `segment clause ${p.attribute} ${p.operator}: ${p.message}` });
  const flags = new Map<string, CompiledFlag>();
  for (const flag of snapshot.flags) flags.set(flag.key, compileFlag(flag, flags, segments, problems));
  return { env: snapshot.env, version: snapshot.version, snapshot, flags, problems };
}

function matchesType(type: FlagDefinition["type"], value: unknown): boolean {
  switch (type) {
    case "boolean":
      return typeof value === "boolean";
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number";
    case "json":
      return typeof value === "object";
  }
}

/**
 * Evaluates one flag. With `defaultValue`, a missing flag, a type mismatch (the default's type differs from
 * the flag's) or a broken flag yields an ERROR result carrying the default, as OpenFeature expects.
 */
export function evaluateFlag(
  compiled: CompiledFlags,
  key: string,
  context: EvaluationContext,
  defaultValue?: Variation["value"],
): EvaluationResult {
  const flag = compiled.flags.get(key);
  if (!flag)
    return errorResult(key, defaultValue ?? null, "FLAG_NOT_FOUND", `flag "${key}" does not exist in environment "${compiled.env}"`);
  if (defaultValue !== undefined && !matchesType(flag.definition.type, defaultValue)) {
    return errorResult(
      key,
      defaultValue,
      "TYPE_MISMATCH",
      `flag "${key}" is of type ${flag.definition.type}, the default value is ${typeof defaultValue}`,
    );
  }
  const r = flag.evaluate(context, 0);
  if (r.errorCode !== undefined && defaultValue !== undefined) return errorResult(key, defaultValue, r.errorCode, r.errorMessage ?? "");
  return r;
}
