import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import { defineStreamRoute, type StreamRouteDefinition } from "../api/stream-route.ts";
import type { LogService } from "./log.service.ts";

const paramsSchema = z.object({ env: z.string().min(1), app: z.string().min(1) });

export const logLineSchema = z.object({
  time: z.number().describe("epoch ms the line was written"),
  stream: z.enum(["out", "err"]),
  text: z.string(),
  labels: z.record(z.string(), z.string()).describe("env, app, release, instance"),
});
export type LogLineView = z.infer<typeof logLineSchema>;

const querySchema = z.strictObject({
  since: z.coerce.number().int().optional().describe("epoch ms"),
  until: z.coerce.number().int().optional().describe("epoch ms"),
  grep: z.string().optional().describe("case-sensitive text the line must contain"),
  release: z.coerce.number().int().optional(),
  limit: z.coerce.number().int().min(1).max(100_000).default(200),
});

export function logRoutes(logs: LogService): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/envs/:env/apps/:app/logs",
      summary: "The newest `limit` matching output lines of the app's instances, oldest first",
      tag: "logs",
      params: paramsSchema,
      query: querySchema,
      response: z.object({ lines: z.array(logLineSchema) }),
      handler: async ({ params, query }) => ({
        lines: await logs.read(params.env, params.app, { sinceMs: query.since, untilMs: query.until, grep: query.grep, release: query.release, limit: query.limit }),
      }),
    }),
  ];
}

export function logStreams(logs: LogService): StreamRouteDefinition[] {
  return [
    defineStreamRoute({
      path: "/api/v1/envs/:env/apps/:app/logs/stream",
      summary: "Server-Sent Events: `line` for each new output line of the app's instances",
      tag: "logs",
      params: paramsSchema,
      query: querySchema.pick({ grep: true, release: true }),
      check: ({ params }) => logs.check(params.env, params.app),
      handler: async ({ params, query }, sink) => {
        await logs.follow(params.env, params.app, query, (line) => sink.send("line", line), sink.closed);
      },
    }),
  ];
}
