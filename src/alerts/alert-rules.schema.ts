import { alertNotifyFields, checkAlertNotifyReferences } from "./notify/notify.schema.ts";
import { z } from "zod";
import { booleanField, duration, expected, text } from "../config/fields.schema.ts";
import { showValue } from "../config/units.ts";
import { ExprError, parseCondition } from "./alert-expr.parser.ts";
import { severities } from "./alert.types.ts";
import { defaultRuleNames } from "./default-rules.ts";

/**
 * Alert rules as written in rampart.yaml (`alerts.rules` per project, `apps.<app>.alerts` per app) and sent to the
 * API. The expression is parsed here, so a bad one is reported with the file, line and key path like any other
 * manifest error, and the API answers 400 with the position in the expression.
 */
export const RULE_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const labelValues = z.record(
  z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: (i) => `${showValue(i.input)} is not a label name: letters, digits and _` }),
  z.string({ error: expected("a label value (text)") }),
  { error: expected("a mapping of label: value, e.g. { team: web }") },
);

const annotationsSchema = z.strictObject(
  {
    summary: text("a one-line summary").optional(),
    description: text("a description").optional(),
    runbook_url: z.url({ error: expected("a runbook URL, e.g. https://wiki.example.com/runbooks/5xx") }).optional(),
  },
  { error: expected("a mapping with summary, description and runbook_url") },
);

const expression = z.string({ error: expected("an expression, e.g. error_ratio(5m) > 0.05") }).superRefine((value, ctx) => {
  try {
    parseCondition(value);
  } catch (error) {
    if (!(error instanceof ExprError)) throw error;
    ctx.addIssue({ code: "custom", message: `${error.message}; the expressions are listed in docs/alerts.md` });
  }
});

export const alertRuleFileSchema = z
  .strictObject(
    {
      name: z.string({ error: expected("a rule name") }).regex(RULE_NAME, {
        error: (i) => `${showValue(i.input)} is not a rule name: letters, digits and _, starting with a letter, e.g. high_error_ratio`,
      }),
      /** `expr` as Prometheus spells it; `expression` is accepted too. */
      expr: expression.optional(),
      expression: expression.optional(),
      for: duration.optional(),
      severity: z.enum(severities, { error: expected(severities.join(", ")) }).optional(),
      labels: labelValues.optional(),
      annotations: annotationsSchema.optional(),
    },
    { error: expected("a rule such as { name: high_error_ratio, expr: error_ratio(5m) > 0.05, for: 1m, severity: critical }") },
  )
  .refine((rule) => (rule.expr === undefined) !== (rule.expression === undefined), {
    error: "give the condition as expr (or expression), exactly once, e.g. expr: error_ratio(5m) > 0.05",
  });
export type AlertRuleFile = z.output<typeof alertRuleFileSchema>;

export const alertRuleListSchema = z.array(alertRuleFileSchema, { error: expected("a list of alert rules") }).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  rules.forEach((rule, i) => {
    if (seen.has(rule.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `rule ${rule.name} is declared twice` });
    seen.add(rule.name);
  });
});

const defaultsSchema = z.strictObject(
  Object.fromEntries(defaultRuleNames.map((name) => [name, booleanField.optional()])) as Record<
    (typeof defaultRuleNames)[number],
    z.ZodOptional<typeof booleanField>
  >,
  { error: expected(`a mapping of default rule: true|false (${defaultRuleNames.join(", ")}), e.g. { crash_loop: false }`) },
);

/**
 * The project's `alerts:` mapping. `rules` and `defaults` are evaluation's (src/alerts); notification adds its keys
 * (receivers, routes, default_receiver, inhibit) in the marked place, so both live in one object as users write it.
 */
export const alertsShape = {
  rules: alertRuleListSchema.optional(),
  defaults: defaultsSchema.optional(),
  // ── notification (src/alerts/notify): receivers, routes, default_receiver, inhibit ──
  ...alertNotifyFields,
};
export const alertsFileSchema = z
  .strictObject(alertsShape, {
    error: expected("a mapping such as { rules: [...], defaults: { crash_loop: false }, receivers: { ops: { webhook: URL } } }"),
  })
  // Routes and default_receiver must name a declared receiver, reported with the other mistakes.
  .superRefine(checkAlertNotifyReferences, { when: () => true });
export type AlertsFile = z.output<typeof alertsFileSchema>;
