import { z } from "zod";
import { booleanField, duration, expected, namedRecord, positiveDuration } from "../../config/fields.schema.ts";
import { parseMatcher } from "./label-matcher.ts";

/**
 * The notification half of the manifest's `alerts:` object (receivers, routes, default_receiver, inhibit), in the
 * shape the issue fixes so scripts can rely on it. `alerts.rules` belongs to alert evaluation; this file exports the
 * fields (`alertNotifyFields`) and the cross-field check (`checkAlertNotifyReferences`) to spread into that object.
 */
const httpUrl = z
  .string({ error: expected("an http(s) URL, e.g. https://hooks.example.com/alerts") })
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    error: (issue) => `expected an http(s) URL, e.g. https://hooks.example.com/alerts, got ${JSON.stringify(issue.input)}`,
  });

const emailAddress = z.string({ error: expected("an email address, e.g. oncall@example.com") }).regex(/^[^\s@]+@[^\s@]+$/, {
  error: (issue) => `expected an email address, e.g. oncall@example.com, got ${JSON.stringify(issue.input)}`,
});

const smtpSchema = z.strictObject(
  {
    host: z.string({ error: expected("the SMTP server's host name") }).min(1),
    port: z
      .number({ error: expected("a port number from 1 to 65535") })
      .int()
      .min(1)
      .max(65535),
    from: emailAddress,
    username: z.string({ error: expected("the SMTP user name") }).optional(),
    // The name of an environment variable, never the password itself: a manifest is committed.
    password_env: z
      .string({ error: expected("the name of an environment variable holding the SMTP password, e.g. SMTP_PASSWORD") })
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (issue) => `expected an environment variable name, got ${JSON.stringify(issue.input)}` })
      .optional(),
    secure: booleanField.optional(),
  },
  { error: expected("a mapping { host, port, from, username?, password_env? }") },
);

const receiverSchema = z
  .strictObject(
    {
      webhook: httpUrl.optional(),
      slack: httpUrl.optional(),
      email: emailAddress.optional(),
      smtp: smtpSchema.optional(),
      alertmanager: httpUrl.optional(),
      console: z.literal(true, { error: expected("true") }).optional(),
    },
    {
      error: expected(
        "a receiver: { webhook: URL } | { slack: URL } | { email: ADDRESS, smtp: {…} } | { alertmanager: URL } | { console: true }",
      ),
    },
  )
  .superRefine((r, ctx) => {
    const kinds = (["webhook", "slack", "email", "alertmanager", "console"] as const).filter((k) => r[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `a receiver has exactly one of webhook, slack, email, alertmanager, console; got ${kinds.length === 0 ? "none" : kinds.join(" and ")}`,
      });
    }
    if (r.email !== undefined && r.smtp === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["smtp"],
        message: "an email receiver needs smtp: { host, port, from }, e.g. smtp: { host: localhost, port: 25, from: rampart@example.com }",
      });
    }
    if (r.smtp !== undefined && r.email === undefined) {
      ctx.addIssue({ code: "custom", path: ["email"], message: "smtp: is only for an email receiver; add email: ADDRESS" });
    }
  });

const labelMatch = z.record(z.string(), z.string({ error: expected("a label value (a string)") }), {
  error: expected("a mapping of label to value, e.g. { severity: critical }"),
});

const matcherList = z.array(
  z.string({ error: expected('a label matcher, e.g. app=~"api|web"') }).superRefine((text, ctx) => {
    const parsed = parseMatcher(text);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
  }),
  { error: expected('a list of label matchers, e.g. ["env=production", "app!~tmp-.*"]') },
);

const labelNames = z.array(z.string({ error: expected("a label name") }), {
  error: expected("a list of label names, e.g. [alertname, app]"),
});

const routeSchema = z.strictObject(
  {
    match: labelMatch.optional(),
    matchers: matcherList.optional(),
    receiver: z.string({ error: expected("the name of a receiver") }),
    group_by: labelNames.optional(),
    group_wait: duration.optional(),
    group_interval: positiveDuration.optional(),
    repeat_interval: positiveDuration.optional(),
    continue: booleanField.optional(),
  },
  { error: expected("a route: { match: { severity: critical }, receiver: NAME }") },
);

const inhibitSchema = z.strictObject(
  {
    source_match: labelMatch.optional(),
    source_matchers: matcherList.optional(),
    target_match: labelMatch.optional(),
    target_matchers: matcherList.optional(),
    equal: labelNames.optional(),
  },
  { error: expected("an inhibit rule: { source_match: { severity: critical }, target_match: { severity: warning }, equal: [env, app] }") },
);

/** Spread into the manifest's `alerts:` object. */
export const alertNotifyFields = {
  receivers: namedRecord(receiverSchema, "a mapping of receiver name to receiver, e.g. { ops: { webhook: https://… } }").optional(),
  routes: z.array(routeSchema, { error: expected("a list of routes") }).optional(),
  default_receiver: z.string({ error: expected("the name of a receiver") }).optional(),
  inhibit: z.array(inhibitSchema, { error: expected("a list of inhibit rules") }).optional(),
};

export type AlertNotifyFile = {
  [K in keyof typeof alertNotifyFields]?: z.output<(typeof alertNotifyFields)[K]>;
};
export type ReceiverFile = z.output<typeof receiverSchema>;
export type RouteFile = z.output<typeof routeSchema>;
export type InhibitFile = z.output<typeof inhibitSchema>;

/**
 * Routes and default_receiver must name a declared receiver; the issue's path points at the offending key. Runs
 * even when other keys are invalid (all mistakes in one go), so it reads the raw value defensively.
 */
export function checkAlertNotifyReferences(alerts: unknown, ctx: z.RefinementCtx): void {
  if (alerts === null || typeof alerts !== "object") return;
  const raw = alerts as { receivers?: unknown; routes?: unknown; default_receiver?: unknown };
  const names = raw.receivers !== null && typeof raw.receivers === "object" ? Object.keys(raw.receivers) : [];
  const known = names.length === 0 ? "none are declared (add alerts.receivers)" : `declared: ${names.join(", ")}`;
  const check = (value: unknown, path: (string | number)[]) => {
    if (typeof value === "string" && !names.includes(value))
      ctx.addIssue({ code: "custom", path, message: `unknown receiver "${value}"; ${known}` });
  };
  if (Array.isArray(raw.routes)) {
    for (const [i, route] of raw.routes.entries()) {
      if (route !== null && typeof route === "object") check((route as { receiver?: unknown }).receiver, ["routes", i, "receiver"]);
    }
  }
  check(raw.default_receiver, ["default_receiver"]);
}

/**
 * The `alerts:` object with only the notification keys: what the manifest holds on this branch. Alert evaluation
 * adds `rules` beside these fields (spread alertNotifyFields, keep the superRefine).
 */
export const alertsFileSchema = z
  .strictObject(alertNotifyFields, { error: expected("a mapping with receivers, routes, default_receiver, inhibit") })
  .superRefine(checkAlertNotifyReferences, { when: () => true });
