import type { z } from "zod";
import { errorMessage } from "./errors.ts";

/**
 * JSON read back from where Rampart wrote it (a store column, KV, an instance file, the edge's control socket),
 * checked against the schema of what was written instead of trusted with `as`: a row from another version, a
 * hand-edited file or a half-written answer then fails here, naming what and which field, rather than as a
 * `undefined` deep inside a rollout. `what` names the source, e.g. "rollouts.data of rollout 12".
 */
export function parseJsonAs<S extends z.ZodType>(schema: S, text: string, what: string): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not valid JSON (${errorMessage(error)}): expected what Rampart wrote there; was it changed by hand?`);
  }
  return checkedAs(schema, value, what);
}

/** The same check for a value already parsed (a JSON body of a socket answer). */
export function checkedAs<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("; ");
  throw new Error(
    `${what} is not what this version of Rampart writes (${issues}): was it written by another version, or changed by hand? ` +
      "`rampart status` and the rampart up log show what is affected",
  );
}
