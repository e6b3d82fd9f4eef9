import { z } from "zod";
import { duration, expected, namedRecord, wholeNumber } from "../config/fields.schema.ts";
import { showValue } from "../config/units.ts";
import { isTimeZone } from "./zoned-time.ts";

/**
 * The manifest's `oncall:` object: people's contact channels, schedules (a rotation in a time zone, overrides) and
 * escalation policies. Hand-offs are wall-clock times in the schedule's zone (src/oncall/rotation.ts).
 */
const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const httpUrl = z
  .string({ error: expected("an http(s) URL, e.g. https://hooks.example.com/page/alice") })
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    error: (issue) => `expected an http(s) URL, e.g. https://hooks.example.com/page/alice, got ${showValue(issue.input)}`,
  });

const emailAddress = z.string({ error: expected("an email address, e.g. alice@example.com") }).regex(/^[^\s@]+@[^\s@]+$/, {
  error: (issue) => `expected an email address, e.g. alice@example.com, got ${showValue(issue.input)}`,
});

const personName = z.string({ error: expected("a user name, e.g. alice") }).regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, {
  error: (issue) => `${showValue(issue.input)} is not a user name: letters, digits, . _ @ -`,
});

export const contactSchema = z
  .strictObject(
    { email: emailAddress.optional(), webhook: httpUrl.optional() },
    { error: expected("a mapping of contact channels, e.g. { email: alice@example.com, webhook: https://… }") },
  )
  .refine((c) => c.email !== undefined || c.webhook !== undefined, { error: "give at least one channel: email or webhook" });
export type Contact = z.output<typeof contactSchema>;

const timeZone = z.string({ error: expected("an IANA time zone, e.g. Europe/Berlin") }).refine(isTimeZone, {
  error: (issue) => `${showValue(issue.input)} is not a time zone Node knows; use an IANA name such as Europe/Berlin or America/New_York`,
});

/** "Mon 09:00" (weekly) or "09:00" (daily): the weekday (null when any) and minutes after local midnight. */
const handoff = z.string({ error: expected('a hand-off time such as "Mon 09:00" or "09:00"') }).transform((value, ctx) => {
  const match = /^(?:([A-Za-z]{3})[a-z]*\s+)?([01]?\d|2[0-3]):([0-5]\d)$/.exec(value.trim());
  const weekday = match?.[1] === undefined ? null : WEEKDAYS.indexOf(match[1].toLowerCase());
  if (!match || weekday === -1) {
    ctx.addIssue({ code: "custom", message: `${showValue(value)} is not a hand-off time: write "Mon 09:00" (weekly) or "09:00" (daily)` });
    return z.NEVER;
  }
  return { weekday, minute: Number(match[2]) * 60 + Number(match[3]) };
});

const isoDate = z.string({ error: expected("a date such as 2026-01-05") }).regex(/^\d{4}-\d{2}-\d{2}$/, {
  error: (issue) => `expected a date such as 2026-01-05, got ${showValue(issue.input)}`,
});

const instant = z.string({ error: expected("a time with its offset, e.g. 2026-03-28T18:00:00+01:00") }).transform((value, ctx) => {
  const at = Date.parse(value);
  if (Number.isNaN(at) || !/(Z|[+-]\d{2}:?\d{2})$/.test(value.trim())) {
    ctx.addIssue({ code: "custom", message: `${showValue(value)} is not a time with an offset, e.g. 2026-03-28T18:00:00+01:00 or …Z` });
    return z.NEVER;
  }
  return at;
});

export const rotationSchema = z
  .strictObject(
    {
      every: z.enum(["day", "week"], { error: expected("day or week") }),
      handoff,
      people: z
        .array(personName, { error: expected("a list of user names, e.g. [alice, bob]") })
        .min(1, { error: "name at least one person" }),
      /** The first shift's date (default 2026-01-05); the rotation counts shifts from it. */
      start: isoDate.optional(),
    },
    { error: expected('a rotation such as { every: week, handoff: "Mon 09:00", people: [alice, bob] }') },
  )
  .superRefine((r, ctx) => {
    if (r.every === "week" && r.handoff.weekday === null)
      ctx.addIssue({ code: "custom", path: ["handoff"], message: 'a weekly rotation hands off on a weekday: write e.g. "Mon 09:00"' });
    if (r.every === "day" && r.handoff.weekday !== null)
      ctx.addIssue({
        code: "custom",
        path: ["handoff"],
        message: 'a daily rotation hands off every day: write only the time, e.g. "09:00"',
      });
  });
export type RotationFile = z.output<typeof rotationSchema>;

export const overrideFileSchema = z
  .strictObject(
    { user: personName, from: instant, to: instant },
    { error: expected("an override such as { user: carol, from: 2026-03-28T18:00:00+01:00, to: 2026-03-30T09:00:00+02:00 }") },
  )
  .refine((o) => o.from < o.to, { error: "an override's from must be before its to" });

export const scheduleSchema = z.strictObject(
  {
    time_zone: timeZone,
    rotation: rotationSchema,
    overrides: z.array(overrideFileSchema, { error: expected("a list of overrides") }).optional(),
  },
  {
    error: expected("a schedule such as { time_zone: Europe/Berlin, rotation: { every: week, handoff: Mon 09:00, people: [alice, bob] } }"),
  },
);
export type ScheduleFile = z.output<typeof scheduleSchema>;

/** `schedule:primary` or `user:carol`. */
const target = z.string({ error: expected("schedule:NAME or user:NAME") }).transform((value, ctx) => {
  const match = /^(schedule|user):(\S+)$/.exec(value.trim());
  if (!match) {
    ctx.addIssue({
      code: "custom",
      message: `${showValue(value)} is not a target: write schedule:NAME or user:NAME, e.g. schedule:primary`,
    });
    return z.NEVER;
  }
  return { kind: match[1] === "schedule" ? ("schedule" as const) : ("user" as const), name: match[2] ?? "" };
});

const stepSchema = z.strictObject(
  { notify: target, wait: duration },
  { error: expected("a step such as { notify: schedule:primary, wait: 5m }") },
);
export type EscalationStep = z.output<typeof stepSchema>;
const stepsSchema = z.array(stepSchema, { error: expected("a list of steps") }).min(1, { error: "an escalation policy needs a step" });

/** `repeat` sits beside the policies (as the issue writes it): how many times the last policy round starts over. */
export const escalationSchema = z
  .object({ repeat: wholeNumber(0, 10).optional() }, { error: expected("a mapping of policies, e.g. { default: [ … ], repeat: 2 }") })
  .catchall(stepsSchema);

export const oncallFileSchema = z
  .strictObject(
    {
      people: z.record(personName, contactSchema, { error: expected("a mapping of user: channels") }).optional(),
      schedules: namedRecord(scheduleSchema, "a mapping of schedules, e.g. primary: { time_zone: …, rotation: … }").optional(),
      escalation: escalationSchema.optional(),
    },
    { error: expected("a mapping with people, schedules and escalation") },
  )
  .superRefine((file, ctx) => {
    const schedules = new Set(Object.keys(file.schedules ?? {}));
    for (const [policy, steps] of Object.entries(file.escalation ?? {})) {
      if (policy === "repeat" || !Array.isArray(steps)) continue;
      steps.forEach((step, i) => {
        if (step.notify.kind === "schedule" && !schedules.has(step.notify.name))
          ctx.addIssue({
            code: "custom",
            path: ["escalation", policy, i, "notify"],
            message: `schedule ${showValue(step.notify.name)} is not declared; declared: ${[...schedules].join(", ") || "none"}`,
          });
      });
    }
  });
export type OncallFile = z.output<typeof oncallFileSchema>;

/** The policies of `escalation:` without its `repeat`. */
export function policiesOf(file: OncallFile | undefined): { policies: Record<string, EscalationStep[]>; repeat: number } {
  const policies: Record<string, EscalationStep[]> = {};
  let repeat = 0;
  for (const [name, value] of Object.entries(file?.escalation ?? {})) {
    if (name === "repeat") repeat = typeof value === "number" ? value : 0;
    else if (Array.isArray(value)) policies[name] = value;
  }
  return { policies, repeat };
}
