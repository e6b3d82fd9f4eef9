import { z } from "zod";

export const escalationStatuses = ["paging", "acknowledged", "resolved", "exhausted"] as const;

export const escalationSchema = z.object({
  fingerprint: z.string(),
  alertname: z.string(),
  labels: z.record(z.string(), z.string()),
  policy: z.string(),
  level: z.number().int().describe("the step of the policy paged last (0-based)"),
  round: z.number().int().describe("how many times the policy started over (0 the first time)"),
  status: z.enum(escalationStatuses),
  nextAt: z.number().int().nullable().describe("epoch ms of the next level; null once acknowledged or ended"),
  startedAt: z.number().int(),
  endedAt: z.number().int().nullable().describe("epoch ms: acknowledged, resolved or exhausted"),
  endedBy: z.string().nullable(),
});
export type Escalation = z.infer<typeof escalationSchema>;

/** What paging a person needs: the channels, the alert, and how to acknowledge it. */
export interface Page {
  user: string;
  contact: { email?: string; webhook?: string } | null;
  escalation: Escalation;
  text: string;
}

/** Sends a page through the person's channels; throws when every channel failed. */
export interface Pager {
  page(page: Page): Promise<void>;
}
