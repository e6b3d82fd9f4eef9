import { z } from "zod";
import { didYouMean } from "./did-you-mean.ts";
import type { PathIssue } from "./manifest-error.ts";
import type { PathSegment } from "./yaml-locate.ts";

/**
 * Rewords zod's issues for someone looking at their YAML: one issue per unknown key with a
 * did-you-mean, "missing required key" for absent keys, the key's own error for bad names.
 */

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodNullable) {
      current = current.unwrap();
    } else if (current instanceof z.ZodPipe) {
      current = current.in;
    } else {
      return current;
    }
  }
}

/** The keys the schema allows at `path`, read from the schema itself so they never drift. */
export function allowedKeysAt(root: z.core.$ZodType, path: readonly PathSegment[]): string[] {
  let schema: z.core.$ZodType | undefined = root;
  for (const segment of path) {
    const current: z.core.$ZodType = unwrap(schema);
    if (current instanceof z.ZodObject) schema = current.shape[String(segment)];
    else if (current instanceof z.ZodRecord) schema = current.valueType;
    else if (current instanceof z.ZodArray) schema = current.element;
    else return [];
    if (schema === undefined) return [];
  }
  const last = unwrap(schema);
  return last instanceof z.ZodObject ? Object.keys(last.shape) : [];
}

/** Whether the object at `path` exists but lacks its last key. */
function isMissing(raw: unknown, path: readonly PathSegment[]): boolean {
  let value = raw;
  for (const [i, segment] of path.entries()) {
    if (value === null || typeof value !== "object") return false;
    const key = String(segment);
    if (!Object.hasOwn(value, key)) return i === path.length - 1;
    value = (value as Record<string, unknown>)[key];
  }
  return false;
}

/** Keys that exist on an app but cannot vary per environment get a reason, not a list. */
const NOT_OVERRIDABLE: Record<string, string> = {
  source: "source cannot differ per environment: the same artifact is promoted from one to the next",
  environments: "environments cannot be nested inside an environment override",
};

function unknownKeyMessage(key: string, allowed: string[], path: readonly PathSegment[]): string {
  // Own keys only: a key named "toString" must not find Object.prototype's function.
  const reason = path[0] === "apps" && path[2] === "environments" && Object.hasOwn(NOT_OVERRIDABLE, key) ? NOT_OVERRIDABLE[key] : undefined;
  if (reason !== undefined) return reason;
  const suggestion = didYouMean(key, allowed);
  if (suggestion !== undefined) return `unknown key, did you mean "${suggestion}"?`;
  return `unknown key; allowed keys here: ${allowed.join(", ")}`;
}

export function fromSchemaIssues(issues: readonly z.core.$ZodIssue[], raw: unknown, root: z.core.$ZodType): PathIssue[] {
  const out: PathIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== "symbol");
    if (issue.code === "unrecognized_keys") {
      const allowed = allowedKeysAt(root, path);
      for (const key of issue.keys) {
        out.push({ path: [...path, key], message: unknownKeyMessage(key, allowed, path), at: "key" });
      }
    } else if (issue.code === "invalid_key") {
      out.push({ path, message: issue.issues[0]?.message ?? issue.message, at: "key" });
    } else if (issue.code === "custom" && issue.params?.at === "key") {
      out.push({ path, message: issue.message, at: "key" });
    } else if (issue.code === "invalid_type" && isMissing(raw, path)) {
      out.push({ path, message: `missing required key "${String(path.at(-1))}"`, missing: true });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}
