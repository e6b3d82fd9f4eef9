import { z } from "zod";
import { eventSchema } from "../events/event.types.ts";
import { alertRuleFileSchema } from "./alert-rules.schema.ts";
import { ruleSources } from "./alert-rules.ts";
import { severities } from "./alert.types.ts";

const stringMap = z.record(z.string(), z.string());

export const alertViewSchema = z.object({
  fingerprint: z.string(),
  rule: z.string(),
  state: z.enum(["pending", "firing", "resolved"]),
  labels: stringMap,
  annotations: stringMap,
  value: z.number().nullable().describe("the expression's value at the last evaluation (null: no data)"),
  activeAt: z.number(),
  firedAt: z.number().nullable(),
  resolvedAt: z.number().nullable(),
});
export type AlertView = z.infer<typeof alertViewSchema>;

export const ruleViewSchema = z.object({
  app: z.string(),
  name: z.string(),
  source: z.enum(ruleSources).describe("default, project (alerts.rules), app (apps.<app>.alerts) or api"),
  expr: z.string(),
  forMs: z.number(),
  severity: z.enum(severities),
  labels: stringMap,
  annotations: stringMap,
});
export type RuleView = z.infer<typeof ruleViewSchema>;

export const rulesResponseSchema = z.object({
  rules: z.array(ruleViewSchema),
  /** Default rules switched off with `alerts.defaults`. */
  disabledDefaults: z.array(z.string()),
});
export type RulesResponse = z.infer<typeof rulesResponseSchema>;

export const ruleBodySchema = alertRuleFileSchema.extend({
  app: z.string().min(1).optional().describe("the app the rule covers; every app when absent"),
});
export type RuleBody = z.input<typeof ruleBodySchema>;

export const historyQuerySchema = z.object({
  since: z.coerce.number().int().min(0).optional().describe("epoch ms; default: the last 24 hours"),
  app: z.string().optional(),
  env: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
});

export const historyResponseSchema = z.object({ events: z.array(eventSchema) });
export type AlertHistory = z.infer<typeof historyResponseSchema>;
