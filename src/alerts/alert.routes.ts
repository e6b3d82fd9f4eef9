import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import type { AlertAdminService } from "./alert-admin.service.ts";
import {
  alertViewSchema,
  historyQuerySchema,
  historyResponseSchema,
  ruleBodySchema,
  rulesResponseSchema,
  ruleViewSchema,
} from "./alert.view.ts";

export function alertRoutes(alerts: AlertAdminService): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/alerts",
      summary: "Active alerts (pending and firing) with their labels, annotations and latest value",
      tag: "alerts",
      permission: "read",
      response: z.object({ alerts: z.array(alertViewSchema) }),
      handler: () => alerts.active(),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/alerts/rules",
      summary: "Every app's alert rules: defaults, rampart.yaml's and the API's, after overrides",
      tag: "alerts",
      permission: "read",
      response: rulesResponseSchema,
      handler: () => alerts.rules(),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/alerts/rules",
      summary: "Create or replace an alert rule (for one app or every app); it overrides a rule of the same name",
      tag: "alerts",
      permission: "platform.manage",
      body: ruleBodySchema,
      response: z.object({ rules: z.array(ruleViewSchema) }),
      handler: async ({ body, actor }) => ({ rules: await alerts.putRule(body, actor) }),
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/alerts/rules/:name",
      summary: "Delete an alert rule created over the API",
      tag: "alerts",
      permission: "platform.manage",
      params: z.object({ name: z.string().min(1) }),
      response: z.object({ deleted: z.string() }),
      handler: ({ params, actor }) => alerts.deleteRule(params.name, actor),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/alerts/history",
      summary: "Alert transitions (pending, firing, resolved) and rule changes from the event log",
      tag: "alerts",
      permission: "read",
      query: historyQuerySchema,
      response: historyResponseSchema,
      handler: ({ query }) => alerts.history(query),
    }),
  ];
}
