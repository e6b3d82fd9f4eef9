import { z } from "zod";
import { didYouMean } from "../config/did-you-mean.ts";

/**
 * What a parity drift's key starts with (`env.LOG_LEVEL` is in `env`). An allow entry names a whole category
 * (`instances`) or one key or key prefix (`env.LOG_LEVEL`, `databases.main.rows`).
 */
export const PARITY_CATEGORIES = [
  "deployed",
  "artifact",
  "run",
  "build",
  "env",
  "secrets",
  "instances",
  "limits",
  "timeout",
  "routes",
  "hosts",
  "health",
  "drain",
  "release",
  "runtime",
  "databases",
  "flags",
] as const;
export type ParityCategory = (typeof PARITY_CATEGORIES)[number];

const allowEntry = z
  .string({ error: "expected a drift category or key, e.g. instances or env.LOG_LEVEL" })
  .min(1, { error: "expected a drift category or key, e.g. instances or env.LOG_LEVEL" })
  .superRefine((entry, ctx) => {
    const category = entry.split(".")[0] ?? "";
    if ((PARITY_CATEGORIES as readonly string[]).includes(category)) return;
    const guess = didYouMean(category, PARITY_CATEGORIES);
    ctx.addIssue({
      code: "custom",
      message: `"${entry}" is not a parity category${guess ? ` (did you mean ${guess}?)` : ""}: one of ${PARITY_CATEGORIES.join(", ")}, optionally with a key, e.g. env.LOG_LEVEL`,
    });
  });

/**
 * rampart.yaml `apps.<app>.parity` (and the top-level `parity` for what belongs to no app: flags and the
 * environments' edge limits): the differences between environments that are intended. They are still listed by
 * `rampart parity`, marked allowed, and do not count.
 */
export const parityFileSchema = z.strictObject(
  { allow: z.array(allowEntry, { error: "expected a list, e.g. [instances, env.LOG_LEVEL]" }).default([]) },
  { error: "expected a mapping such as { allow: [instances] }" },
);
export type ParityFile = z.output<typeof parityFileSchema>;

/** Whether an allow list covers a drift key: the entry is the key, or a dotted prefix of it. */
export function isAllowed(key: string, allow: readonly string[]): boolean {
  return allow.some((entry) => key === entry || key.startsWith(`${entry}.`));
}
