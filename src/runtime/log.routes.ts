import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import { defineStreamRoute, type StreamRouteDefinition } from "../api/stream-route.ts";
import { LOG_LEVELS, logLevelNames } from "../telemetry/log-record.ts";
import type { LogService } from "./log.service.ts";

const paramsSchema = z.object({ env: z.string().min(1), app: z.string().min(1) });

export const logLineSchema = z.object({
  time: z.number().describe("epoch ms the line was written"),
  stream: z.enum(["out", "err", "otlp"]).describe("stdout, stderr, or the app's OTLP log exporter"),
  level: z
    .enum(logLevelNames as [string, ...string[]])
    .describe("from the JSON line's level, a leading level word, else info (stdout) / error (stderr)"),
  text: z.string().describe("the line as written"),
  message: z.string().describe("msg/message of a JSON line (pino, bunyan, winston), else the text"),
  fields: z.record(z.string(), z.unknown()).describe("the JSON line's other fields"),
  labels: z.record(z.string(), z.string()).describe("env, app, release, instance"),
});
export type LogLineView = z.infer<typeof logLineSchema>;

const querySchema = z.strictObject({
  since: z.coerce.number().int().optional().describe("epoch ms"),
  until: z.coerce.number().int().optional().describe("epoch ms"),
  grep: z.string().optional().describe("text the line must contain anywhere; case-insensitive unless caseSensitive=true"),
  caseSensitive: z.stringbool().optional().describe("grep matches case exactly"),
  level: z
    .enum(logLevelNames as [string, ...string[]])
    .optional()
    .describe("this level and above"),
  release: z.coerce.number().int().optional(),
  instance: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(200),
});

const minLevel = (level: string | undefined) => (level === undefined ? undefined : LOG_LEVELS[level as keyof typeof LOG_LEVELS]);

export function logRoutes(logs: LogService): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/envs/:env/apps/:app/logs",
      summary: "The newest `limit` matching lines of the app (instance output and OTLP logs), oldest first",
      tag: "logs",
      permission: "logs.read",
      params: paramsSchema,
      query: querySchema,
      response: z.object({ lines: z.array(logLineSchema) }),
      handler: async ({ params, query }) => ({
        lines: await logs.read(params.env, params.app, {
          sinceMs: query.since,
          untilMs: query.until,
          grep: query.grep,
          caseSensitive: query.caseSensitive,
          release: query.release,
          instance: query.instance,
          minLevel: minLevel(query.level),
          limit: query.limit,
        }),
      }),
    }),
  ];
}

export function logStreams(logs: LogService): StreamRouteDefinition[] {
  return [
    defineStreamRoute({
      path: "/api/v1/envs/:env/apps/:app/logs/stream",
      summary:
        "Server-Sent Events: `line` for each new matching line of the app, as it is indexed; with a Last-Event-ID header (an id this stream sent), the lines indexed since then first",
      tag: "logs",
      permission: "logs.read",
      params: paramsSchema,
      query: querySchema.pick({ grep: true, caseSensitive: true, release: true, instance: true, level: true }),
      check: ({ params }) => logs.check(params.env, params.app),
      handler: async ({ params, query, lastEventId }, sink) => {
        await logs.follow(
          params.env,
          params.app,
          {
            grep: query.grep,
            caseSensitive: query.caseSensitive,
            release: query.release,
            instance: query.instance,
            minLevel: minLevel(query.level),
          },
          (line, cursor) => sink.send("line", line, cursor),
          sink.closed,
          lastEventId,
        );
      },
    }),
  ];
}
