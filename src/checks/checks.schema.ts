import { z } from "zod";
import { expected, positiveDuration, wholeNumber } from "../config/fields.schema.ts";
import { parseDuration, showValue } from "../config/units.ts";
import type { BrowserStep } from "./browser-probe.ts";
import { CONDITION_EXAMPLE, type Condition, parseCondition } from "./check-condition.ts";

/**
 * `apps.<app>.checks` and `apps.<app>.heartbeats` in rampart.yaml. `checks` is a list of HTTP checks, or a mapping
 * `{ defaults: false, custom: [...] }` that also switches off the default checks (health path and routes through
 * the edge). Checks are per app, the same in every environment the app runs in.
 */

const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_GRACE_MS = 60_000;

/** 10 s, so a check cannot hammer an app; tests of thresholds through `rampart up` lower it (never set it in production). */
function minIntervalMs(): number {
  const override = parseDuration(process.env.RAMPART_CHECK_MIN_INTERVAL ?? "");
  return override.ok ? override.value : 10_000;
}

const checkName = z
  .string({ error: expected("a check name, e.g. api-up") })
  .regex(/^[a-z][a-z0-9-]*$/, { error: (issue) => `${showValue(issue.input)} is not a valid check name: use a-z, 0-9 and -` });

const condition = z.unknown().transform((value, ctx): Condition => {
  if (typeof value !== "string") {
    ctx.addIssue({ code: "custom", message: `expected a condition, ${CONDITION_EXAMPLE}; got ${showValue(value)}` });
    return z.NEVER;
  }
  const result = parseCondition(value);
  if (result.ok) return result.condition;
  ctx.addIssue({ code: "custom", message: result.message });
  return z.NEVER;
});

const interval = positiveDuration.superRefine((ms, ctx) => {
  const min = minIntervalMs();
  if (ms < min) ctx.addIssue({ code: "custom", message: `${ms}ms is too often: a check runs at most every ${min / 1000}s, e.g. 30s` });
});

const STEP_EXAMPLE = 'e.g. { goto: / }, { click: "text=Buy" }, { expect_text: Thank you }';

const browserStep = z.unknown().transform((value, ctx): BrowserStep => {
  const entries = value !== null && typeof value === "object" && !Array.isArray(value) ? Object.entries(value) : [];
  const [key, arg] = entries[0] ?? [];
  if (entries.length === 1 && typeof arg === "string" && arg.trim() !== "") {
    if (key === "goto") return { goto: arg };
    if (key === "click") return { click: arg };
    if (key === "expect_text") return { expect_text: arg };
  }
  ctx.addIssue({
    code: "custom",
    message: `expected one step of goto, click or expect_text with a text value, ${STEP_EXAMPLE}; got ${showValue(value)}`,
  });
  return z.NEVER;
});

const httpCheckSchema = z
  .strictObject(
    {
      name: checkName,
      path: z
        .string({ error: expected('a path such as "/api/orders"') })
        .startsWith("/", { error: expected('a path starting with "/"') })
        .optional(),
      browser: z
        .array(browserStep, { error: expected(`a list of browser steps, ${STEP_EXAMPLE}`) })
        .min(1, { error: `list at least one step, ${STEP_EXAMPLE}` })
        .optional(),
      url: z.url({ protocol: /^https?$/, error: expected("an http:// or https:// URL") }).optional(),
      method: z
        .enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], { error: expected("GET, HEAD, POST, PUT, PATCH or DELETE") })
        .optional(),
      headers: z
        .record(z.string(), z.string({ error: expected("a header value (text)") }), { error: expected("a mapping of header: value") })
        .optional(),
      body: z.string({ error: expected("a request body (text)") }).optional(),
      interval: interval.optional(),
      timeout: positiveDuration.optional(),
      conditions: z
        .array(condition, { error: expected(`a list of conditions, ${CONDITION_EXAMPLE}`) })
        .min(1, { error: `list at least one condition, ${CONDITION_EXAMPLE}` })
        .optional(),
      failure_threshold: wholeNumber(1, 100).optional(),
      success_threshold: wholeNumber(1, 100).optional(),
    },
    { error: expected("a mapping such as { name: api-up, path: /api/health, conditions: [status == 200] }") },
  )
  .refine((check) => [check.path, check.url, check.browser].filter((v) => v !== undefined).length === 1, {
    error:
      "name exactly one of path (through the edge), url (any address) or browser (steps in Chromium), e.g. { name: api-up, path: /api/health }",
  });

const heartbeatSchema = z.strictObject(
  { name: checkName, every: positiveDuration, grace: positiveDuration.optional() },
  { error: expected("a mapping such as { name: nightly-backup, every: 24h, grace: 1h }") },
);

const httpChecksList = z.array(httpCheckSchema, { error: expected("a list of checks, e.g. [{ name: api-up, path: /api/health }]") });

const checksMappingSchema = z.strictObject(
  { defaults: z.boolean({ error: expected("true or false") }).optional(), custom: httpChecksList.optional() },
  { error: expected("a list of checks, or a mapping such as { defaults: false, custom: [...] }") },
);

type ChecksOutput = z.output<typeof httpChecksList> | z.output<typeof checksMappingSchema>;

// Not a z.union: a union reports "matched neither" instead of the bad field inside the list.
export const checksFileSchema = z.unknown().transform((value, ctx): ChecksOutput => {
  const parsed = Array.isArray(value) ? httpChecksList.safeParse(value) : checksMappingSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
  return z.NEVER;
});
export const heartbeatsFileSchema = z.array(heartbeatSchema, {
  error: expected("a list of heartbeats, e.g. [{ name: nightly, every: 24h }]"),
});

export type ChecksFile = z.output<typeof checksFileSchema>;
export type HeartbeatsFile = z.output<typeof heartbeatsFileSchema>;

export type CheckTarget = { kind: "path"; path: string } | { kind: "url"; url: string } | { kind: "browser"; steps: BrowserStep[] };

export interface HttpCheckConfig {
  name: string;
  target: CheckTarget;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  intervalMs: number;
  timeoutMs: number;
  conditions: Condition[];
  failureThreshold: number;
  successThreshold: number;
}

export interface HeartbeatConfig {
  name: string;
  everyMs: number;
  graceMs: number;
}

export interface AppChecks {
  /** The health path and each declared route through the edge, without any configuration. */
  defaults: boolean;
  http: HttpCheckConfig[];
  heartbeats: HeartbeatConfig[];
}

export const DEFAULT_CHECK = { intervalMs: DEFAULT_INTERVAL_MS, timeoutMs: DEFAULT_TIMEOUT_MS, failureThreshold: 3, successThreshold: 2 };

export function resolveAppChecks(checks: ChecksFile | undefined, heartbeats: HeartbeatsFile | undefined): AppChecks {
  const list = Array.isArray(checks) ? checks : (checks?.custom ?? []);
  return {
    defaults: Array.isArray(checks) || checks === undefined ? true : (checks.defaults ?? true),
    http: list.map((check) => {
      const intervalMs = check.interval ?? DEFAULT_INTERVAL_MS;
      return {
        name: check.name,
        target: targetOf(check),
        method: check.method ?? (check.body === undefined ? "GET" : "POST"),
        headers: { ...check.headers },
        body: check.body ?? null,
        intervalMs,
        timeoutMs: check.timeout ?? Math.min(DEFAULT_TIMEOUT_MS, intervalMs),
        conditions: check.conditions ?? [parsedDefault("status == 200")],
        failureThreshold: check.failure_threshold ?? DEFAULT_CHECK.failureThreshold,
        successThreshold: check.success_threshold ?? DEFAULT_CHECK.successThreshold,
      };
    }),
    heartbeats: (heartbeats ?? []).map((h) => ({ name: h.name, everyMs: h.every, graceMs: h.grace ?? DEFAULT_GRACE_MS })),
  };
}

function targetOf(check: { path?: string; url?: string; browser?: BrowserStep[] }): CheckTarget {
  if (check.browser !== undefined) return { kind: "browser", steps: check.browser };
  if (check.url !== undefined) return { kind: "url", url: check.url };
  return { kind: "path", path: check.path ?? "/" };
}

export function parsedDefault(text: string): Condition {
  const result = parseCondition(text);
  if (!result.ok) throw new Error(`built-in condition "${text}" does not parse: ${result.message}`);
  return result.condition;
}
