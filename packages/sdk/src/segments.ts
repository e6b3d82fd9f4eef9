/**
 * Compiles segments lazily on first reference, so segments may use other segments; a cycle compiles to a
 * segment that never matches (and is reported) instead of recursing forever.
 */
import type { EvaluationContext, SegmentDefinition } from "./flag-data.ts";
import { compileClauses, never } from "./clauses.ts";
import type { ClauseProblem, Predicate, SegmentLookup } from "./clauses.ts";

function compileSegment(segment: SegmentDefinition, lookup: SegmentLookup, problems: ClauseProblem[]): Predicate {
  const included = new Set(segment.included);
  const excluded = new Set(segment.excluded);
  const rules = segment.rules.map((r) => compileClauses(r.clauses, lookup, problems));
  const by = segment.by;
  return (context: EvaluationContext) => {
    const raw = context[by];
    if (raw !== undefined && raw !== null) {
      const id = typeof raw === "string" ? raw : String(raw);
      if (excluded.has(id)) return false;
      if (included.has(id)) return true;
    }
    for (let i = 0; i < rules.length; i++) if (rules[i]!(context)) return true;
    return false;
  };
}

export function segmentLookup(segments: SegmentDefinition[], problems: ClauseProblem[]): SegmentLookup {
  const definitions = new Map(segments.map((s) => [s.key, s]));
  const compiled = new Map<string, Predicate>();
  const compiling = new Set<string>();
  const lookup: SegmentLookup = (key) => {
    const done = compiled.get(key);
    if (done) return done;
    const definition = definitions.get(key);
    if (!definition) return undefined;
    if (compiling.has(key)) {
      problems.push({ attribute: definition.by, operator: "in_segment", message: `segment "${key}" refers to itself through its rules` });
      return never;
    }
    compiling.add(key);
    const predicate = compileSegment(definition, lookup, problems);
    compiling.delete(key);
    compiled.set(key, predicate);
    return predicate;
  };
  return lookup;
}
