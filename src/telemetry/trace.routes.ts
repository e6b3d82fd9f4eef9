import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import type { TraceService } from "./trace.service.ts";

const spanSchema = z.object({
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string().nullable(),
  env: z.string(),
  app: z.string(),
  release: z.number().nullable(),
  instance: z.string().nullable(),
  service: z.string().describe("\"rampart-edge\" for the edge's server span, else the app's service.name"),
  name: z.string(),
  kind: z.number().describe("OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer"),
  route: z.string().nullable(),
  path: z.string().nullable().describe("the request's path without its query (url.path), for HTTP spans"),
  httpStatus: z.number().nullable(),
  error: z.boolean(),
  startMs: z.number().describe("epoch ms"),
  durationMs: z.number(),
  source: z.enum(["edge", "otlp"]),
  attributes: z.record(z.string(), z.unknown()),
});

const summarySchema = z.object({
  traceId: z.string(),
  env: z.string(),
  app: z.string(),
  name: z.string(),
  route: z.string().nullable(),
  path: z.string().nullable().describe("the request's path without its query"),
  httpStatus: z.number().nullable(),
  error: z.boolean(),
  startMs: z.number(),
  durationMs: z.number(),
  spans: z.number().describe("spans stored for the trace"),
});

const traceSchema = z.object({ traceId: z.string(), spans: z.array(spanSchema) });
export type TraceSummaryView = z.infer<typeof summarySchema>;
export type TraceView = z.infer<typeof traceSchema>;
export type SpanView = z.infer<typeof spanSchema>;

export function traceRoutes(traces: TraceService): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/envs/:env/apps/:app/traces",
      summary: "The app's traces (the edge's span of each sampled request, and traces that began in the app), newest or slowest first",
      tag: "traces",
      permission: "read",
      params: z.object({ env: z.string().min(1), app: z.string().min(1) }),
      query: z.strictObject({
        route: z.string().min(1).optional().describe("route prefix as in rampart.yaml, e.g. /search"),
        since: z.coerce.number().int().optional().describe("epoch ms"),
        slowest: z.stringbool().optional().describe("longest first instead of newest first"),
        errors: z.stringbool().optional().describe("only traces whose entry span failed (5xx or status error)"),
        limit: z.coerce.number().int().min(1).max(1000).default(20),
      }),
      response: z.object({ traces: z.array(summarySchema) }),
      handler: async ({ params, query }) => ({
        traces: traces.list({
          env: params.env,
          app: params.app,
          route: query.route,
          sinceMs: query.since,
          slowest: query.slowest,
          errorsOnly: query.errors,
          limit: query.limit,
        }),
      }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/traces/:traceId",
      summary: "Every stored span of one trace (edge and app), by start time",
      tag: "traces",
      permission: "read",
      params: z.object({ traceId: z.string().regex(/^[0-9a-fA-F]{32}$/, "a trace id: 32 hex digits") }),
      response: traceSchema,
      handler: async ({ params }) => ({ traceId: params.traceId.toLowerCase(), spans: traces.get(params.traceId) }),
    }),
  ];
}
