import { z } from "zod";

export const deliveryStatuses = ["sending", "retrying", "delivered", "failed"] as const;

export const deliverySchema = z.object({
  id: z.number().int(),
  at: z.number().int().describe("epoch ms: when the notification was due"),
  receiver: z.string(),
  kind: z.string().describe("webhook | slack | email | alertmanager | console"),
  groupKey: z.string(),
  reason: z.string().describe("first notification, new alerts added, some/all alerts resolved, repeat interval elapsed"),
  status: z.enum(deliveryStatuses),
  attempts: z.number().int(),
  error: z.string().nullable().describe("the last attempt's error"),
  alerts: z.array(z.object({ fingerprint: z.string(), state: z.string(), labels: z.record(z.string(), z.string()) })),
  text: z.string().describe("the notification as text: what the console shows"),
  updatedAt: z.number().int(),
});
export type Delivery = z.infer<typeof deliverySchema>;
export type DeliveryStatus = Delivery["status"];
