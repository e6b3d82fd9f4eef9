import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../../api/route-definition.ts";
import { parseDuration } from "../../config/units.ts";
import { RampartError } from "../../shared/errors.ts";
import { deliverySchema } from "./delivery.types.ts";
import type { NotifyDelivery } from "./notify-delivery.ts";
import { type SilenceService, MAX_SILENCE_MS } from "./silence.service.ts";
import { silenceSchema } from "./silence.types.ts";

const silenceViewSchema = silenceSchema.extend({ state: z.enum(["active", "pending", "expired"]) });
export type SilenceViewBody = z.infer<typeof silenceViewSchema>;

export const createSilenceBodySchema = z.strictObject({
  matchers: z.array(z.string()).min(1).describe('label matchers, e.g. ["app=api", "env=production"]'),
  duration: z.string().describe("how long, e.g. 2h"),
  reason: z.string().describe("why it is quiet, for whoever looks next"),
});
export type CreateSilenceBody = z.infer<typeof createSilenceBodySchema>;

const deliveriesQuery = z.strictObject({
  kind: z.string().optional().describe("webhook | slack | email | alertmanager | console"),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Silences (create, list, expire) and the delivery log; the console receiver's list is the log's console rows. */
export function notifyRoutes(deps: { silences: SilenceService; deliveries: NotifyDelivery }): RouteDefinition[] {
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/silences",
      summary: "Mute the alerts matching every matcher, for a duration, with a reason (silence.created)",
      tag: "alerts",
      // Silencing is what on-call does while fixing; there is no alerts-specific permission yet.
      permission: "rollout.steer",
      status: 201,
      body: createSilenceBodySchema,
      response: silenceViewSchema,
      handler: async ({ body, actor }) => {
        const parsed = parseDuration(body.duration, { maxMs: MAX_SILENCE_MS });
        if (!parsed.ok)
          throw new RampartError("invalid_request", `duration: ${parsed.message}`, {
            details: [{ field: "body.duration", message: parsed.message }],
            hint: "pass a duration such as 30m, 2h or 1d (at most 30d)",
          });
        return deps.silences.create({ matchers: body.matchers, durationMs: parsed.value, reason: body.reason }, actor);
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/silences",
      summary: "Silences that have not ended (with all=true, also the expired ones), newest first",
      tag: "alerts",
      permission: "read",
      query: z.strictObject({ all: z.enum(["true", "false"]).optional() }),
      response: z.object({ silences: z.array(silenceViewSchema) }),
      handler: async ({ query }) => ({ silences: await deps.silences.list({ all: query.all === "true" }) }),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/silences/:id/expire",
      summary: "End a silence now (silence.expired); its alerts are notified again at their group's next interval",
      tag: "alerts",
      permission: "rollout.steer",
      params: z.strictObject({ id: z.string() }),
      response: silenceViewSchema,
      handler: async ({ params, actor }) => deps.silences.expire(params.id, actor),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/alerts/deliveries",
      summary: "The delivery log: each notification to a receiver, its attempts, status and last error, newest first",
      tag: "alerts",
      permission: "read",
      query: deliveriesQuery,
      response: z.object({ deliveries: z.array(deliverySchema) }),
      handler: async ({ query }) => ({ deliveries: await deps.deliveries.list(query) }),
    }),
  ];
}
