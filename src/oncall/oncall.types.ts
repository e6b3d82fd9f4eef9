import { z } from "zod";

export const storedOverrideSchema = z.object({
  id: z.string(),
  schedule: z.string(),
  user: z.string(),
  from: z.number().int().describe("epoch ms"),
  to: z.number().int().describe("epoch ms"),
  reason: z.string(),
  createdBy: z.string(),
  createdAt: z.number().int(),
});
export type StoredOverride = z.infer<typeof storedOverrideSchema>;

export const contactViewSchema = z.object({ email: z.string().optional(), webhook: z.string().optional() });

export const onCallViewSchema = z.object({
  schedule: z.string(),
  timeZone: z.string(),
  user: z.string(),
  from: z.number().int().describe("epoch ms: the shift (or override) began"),
  to: z.number().int().describe("epoch ms: the next hand-off"),
  override: z.boolean(),
  rotation: z.string().describe("who the rotation has on call, whom an override stands in for"),
  contact: contactViewSchema.nullable().describe("the person's channels from rampart.yaml oncall.people; null when none"),
});
export type OnCallView = z.infer<typeof onCallViewSchema>;

export const whoSchema = z.object({ at: z.number().int(), schedules: z.array(onCallViewSchema) });
export type WhoView = z.infer<typeof whoSchema>;
