import { z } from "zod";
import type { RouteDefinition } from "./route-definition.ts";
import type { StreamRouteDefinition } from "./stream-route.ts";

/** Where a route names the environment its permission is checked in. */
export interface EnvSource {
  from: "params" | "body" | "query";
  field: string;
}

function declares(schema: z.ZodType | undefined, field: string): boolean {
  if (!schema) return false;
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, unknown> };
  return Object.hasOwn(json.properties ?? {}, field);
}

/**
 * `:env`, else the body field the route names (`env` unless `permissionEnvField`), else an `env` query. Only a
 * field the route's schema declares counts: an undeclared one would be checked, then dropped by validation, and
 * the action would run in another environment than the one checked.
 */
export function envSourceOf(route: RouteDefinition | StreamRouteDefinition): EnvSource | null {
  if (declares(route.params, "env")) return { from: "params", field: "env" };
  const bodyField = "permissionEnvField" in route ? (route.permissionEnvField ?? "env") : "env";
  if ("body" in route && declares(route.body, bodyField)) return { from: "body", field: bodyField };
  if (declares(route.query, "env")) return { from: "query", field: "env" };
  return null;
}

/** `app` as the route's params or query declare it (a service token limited to some apps is checked against it). */
export function appSourceOf(route: RouteDefinition | StreamRouteDefinition): EnvSource | null {
  if (declares(route.params, "app")) return { from: "params", field: "app" };
  if (declares(route.query, "app")) return { from: "query", field: "app" };
  return null;
}

/** The value a request sends there, as sent (before validation). */
export function valueAt(parts: { params: unknown; body: unknown; query: unknown }, source: EnvSource | null): string | null {
  if (source === null) return null;
  const part = parts[source.from];
  if (typeof part !== "object" || part === null) return null;
  const value: unknown = Object.getOwnPropertyDescriptor(part, source.field)?.value;
  return typeof value === "string" && value !== "" ? value : null;
}
