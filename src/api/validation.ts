import type { z } from "zod";
import { RampartError } from "../shared/errors.ts";

export interface FieldIssue {
  /** Dotted path, prefixed with where it came from: body.instances, query.limit, params.env. */
  field: string;
  message: string;
}

/** Validates one part of a request; the error names every bad field and what was expected. */
export function parseRequestPart<S extends z.ZodType>(schema: S, value: unknown, part: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((issue) => ({
    field: [part, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join("; ");
  return fail(new RampartError("invalid_request", `invalid ${part}: ${summary}`, { details: issues }));
}

function fail(error: RampartError): never {
  throw error;
}
