import { isIP } from "node:net";
import { z } from "zod";
import { RELEASE_STRATEGIES, type ErrorRateGuard, type LatencyGuard } from "./resolved-manifest.schema.ts";
import { parseDuration, parsePercent, parseRate, parseRatio, parseSize, showValue } from "./units.ts";

/**
 * Leaf schemas of rampart.yaml. Each one words its own error as "expected X, got Y" because the
 * user reads these messages next to a line of YAML, not zod's generic ones.
 */

type IssueInput = { input?: unknown };

export function expected(what: string): (issue: IssueInput) => string {
  return (issue) => `expected ${what}, got ${showValue(issue.input)}`;
}

export function wholeNumber(min: number, max: number) {
  const error = expected(`a whole number from ${min} to ${max}`);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

export function text(what: string) {
  const error = expected(what);
  return z
    .string({ error })
    .trim()
    .min(1, { error: () => `expected ${what}, got an empty string` });
}

export const booleanField = z.boolean({ error: expected("true or false") });

export const projectName = z
  .string({ error: expected("a project name") })
  .regex(/^[a-z0-9-]+$/, { error: (issue) => `${showValue(issue.input)} is not a valid name: use a-z, 0-9 and -` });

const ENTITY_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * A mapping of app or environment names to `value`. Names are checked beside the values (not as
 * a key schema, which would skip validating the value) so one round shows every problem.
 * App and environment names end up in URLs, file names and process titles.
 */
export function namedRecord<T extends z.core.$ZodType<unknown, unknown>>(value: T, what: string) {
  return z.record(z.string(), value, { error: expected(what) }).superRefine(
    (record, ctx) => {
      if (record === null || typeof record !== "object") return;
      for (const name of Object.keys(record)) {
        if (ENTITY_NAME.test(name)) continue;
        ctx.addIssue({
          code: "custom",
          path: [name],
          params: { at: "key" },
          message: `${showValue(name)} is not a valid name: use a-z, 0-9 and -, starting with a letter`,
        });
      }
    },
    { when: () => true },
  );
}

function fromParser(parse: (value: unknown) => { ok: true; value: number } | { ok: false; message: string }) {
  return z.unknown().transform((value, ctx): number => {
    const result = parse(value);
    if (result.ok) return result.value;
    ctx.addIssue({ code: "custom", message: result.message });
    return z.NEVER;
  });
}

export const duration = fromParser(parseDuration);

/** For waits where zero would mean "never wait", e.g. a health check interval. */
export const positiveDuration = fromParser((value) => {
  const result = parseDuration(value);
  if (result.ok && result.value === 0) return { ok: false, message: `${showValue(value)} is too short: must be more than 0s` };
  return result;
});

export const percent = fromParser(parsePercent);

export const size = fromParser(parseSize);

export const rate = fromParser(parseRate);

/** An IP address or a CIDR block: `127.0.0.1`, `10.0.0.0/8`, `::1`. */
export const addressBlock = z.string({ error: expected("an IP address or block, e.g. 10.0.0.0/8") }).refine(
  (value) => {
    const [ip, bits, extra] = value.split("/");
    const family = isIP(ip ?? "");
    if (family === 0 || extra !== undefined) return false;
    if (bits === undefined) return true;
    const n = Number(bits);
    return /^\d+$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128);
  },
  { error: (issue) => `${showValue(issue.input)} is not an IP address or block, e.g. 10.0.0.0/8` },
);

/** A cookie or header name (RFC 7230 token). */
export const tokenName = z
  .string({ error: expected("a cookie or header name") })
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: (issue) => `${showValue(issue.input)} is not a valid cookie or header name` });

/**
 * The relative form every guard shares (`1.5x`): the guard when `value` is a ratio of at least 1, NEVER after an issue
 * when it is a bad one, undefined when it is not a ratio at all (the caller reads its absolute form).
 */
function relativeGuard(
  value: unknown,
  ctx: z.RefinementCtx,
  asWhat: string,
): { kind: "relative"; ratio: number } | typeof z.NEVER | undefined {
  if (typeof value !== "string" || !value.trim().endsWith("x")) return undefined;
  const ratio = parseRatio(value);
  if (ratio.ok && ratio.value >= 1) return { kind: "relative", ratio: ratio.value };
  ctx.addIssue({
    code: "custom",
    message: ratio.ok ? `${showValue(value)} would fail a canary as ${asWhat} as stable: use 1x or more` : ratio.message,
  });
  return z.NEVER;
}

export const latencyGuard = z.unknown().transform((value, ctx): LatencyGuard => {
  const relative = relativeGuard(value, ctx, "fast");
  if (relative !== undefined) return relative;
  const ms = parseDuration(value);
  if (ms.ok && ms.value > 0) return { kind: "absolute", ms: ms.value };
  ctx.addIssue({
    code: "custom",
    message: `${showValue(value)} is not a latency limit: use a duration (300ms) or a ratio to stable (1.5x)`,
  });
  return z.NEVER;
});

/**
 * A guard on the pages' p75 CLS (unitless): a ceiling (`0.1`) or a ratio to stable (`1.2x`). Kept as a LatencyGuard in
 * thousandths, the unit CLS is bucketed in (src/edge/rum-stats.ts).
 */
export const clsGuard = z.unknown().transform((value, ctx): LatencyGuard => {
  const relative = relativeGuard(value, ctx, "good");
  if (relative !== undefined) return relative;
  if (typeof value === "number" && value > 0 && value <= 100) return { kind: "absolute", ms: value * 1000 };
  ctx.addIssue({ code: "custom", message: `${showValue(value)} is not a CLS limit: use a number (0.1) or a ratio to stable (1.2x)` });
  return z.NEVER;
});

/** An error-rate guard: a ceiling (`1%`) or a multiple of stable's rate (`2x`). */
export const errorRateGuard = z.unknown().transform((value, ctx): ErrorRateGuard => {
  const relative = relativeGuard(value, ctx, "good");
  if (relative !== undefined) return relative;
  const rate = parsePercent(value);
  if (rate.ok) return { kind: "absolute", rate: rate.value };
  ctx.addIssue({ code: "custom", message: `${rate.message} (or a ratio to stable, e.g. 2x)` });
  return z.NEVER;
});

function showList(value: unknown): string {
  return Array.isArray(value) ? `[${value.join(", ")}]` : showValue(value);
}

export const port = wholeNumber(1, 65535);

export const bindAddress = z
  .string({ error: expected("an IP address such as 0.0.0.0 or 127.0.0.1") })
  .refine((value) => isIP(value) !== 0 || value === "localhost", {
    error: (issue) => `${showValue(issue.input)} is not an IP address, e.g. 0.0.0.0 or 127.0.0.1`,
  });

export const pathPrefix = z.string({ error: expected('a path such as "/" or "/api"') }).refine((value) => value.startsWith("/"), {
  error: (issue) => `${showValue(issue.input)} does not start with "/", e.g. "/${String(issue.input)}"`,
});

export const routes = z
  .array(pathPrefix, { error: expected('a list of path prefixes, e.g. ["/"]') })
  .min(1, { error: 'expected at least one path prefix, e.g. ["/"]' })
  .refine((list) => new Set(list).size === list.length, { error: "lists the same path prefix twice" });

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export const hostName = z
  .string({ error: expected("a host name such as shop.example.com") })
  .transform((value) => value.trim().toLowerCase())
  .refine((value) => HOST_NAME.test(value), {
    error: (issue) => `${showValue(issue.input)} is not a host name, e.g. shop.example.com (no scheme, port or path)`,
  });

export const hosts = z
  .array(hostName, { error: expected("a list of host names, e.g. [shop.example.com]") })
  .min(1, { error: "expected at least one host name; leave hosts out to serve any host" });

export const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
    error: (issue) => `${showValue(issue.input)} is not a valid environment variable name: use letters, digits and _`,
  })
  .refine((name) => name !== "PORT", { error: "PORT is set by Rampart for every instance" });

export const envVars = z.record(
  envVarName,
  z.union([z.string(), z.number(), z.boolean()], { error: expected("a string, number or true/false") }).transform(String),
  { error: expected("a mapping of NAME: value") },
);

export const strategy = z.enum(RELEASE_STRATEGIES, {
  error: expected("rolling, blue-green or canary"),
});

export const canarySteps = z
  .array(wholeNumber(1, 100), { error: expected("a list of traffic percentages, e.g. [5, 25, 50, 100]") })
  .min(1, { error: "expected at least one step, e.g. [5, 25, 50, 100]" })
  .refine((steps) => steps.every((step, i) => i === 0 || step > (steps[i - 1] ?? 0)), {
    error: (issue) => `steps must go up, e.g. [5, 25, 50, 100], got ${showList(issue.input)}`,
  });
