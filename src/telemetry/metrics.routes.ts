import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import type { MetricsService } from "./metrics.service.ts";
import { metricsQueryResultSchema, metricsQuerySchema, metricsSummarySchema, summaryQuerySchema } from "./metrics.view.ts";

const appParamsSchema = z.object({ env: z.string().min(1), app: z.string().min(1) });

export function metricsRoutes(metrics: MetricsService): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/metrics/query",
      summary:
        "Evaluate a metric over a range: rate/increase of counters and histogram counts, sum/avg/max/min, or a histogram quantile, grouped by labels",
      tag: "metrics",
      permission: "read",
      query: metricsQuerySchema,
      response: metricsQueryResultSchema,
      handler: ({ query }) => metrics.query(query),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/metrics/names",
      summary: "Names of the metrics held in memory",
      tag: "metrics",
      permission: "read",
      response: z.object({ names: z.array(z.string()) }),
      handler: async () => ({ names: metrics.names() }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/envs/:env/apps/:app/metrics",
      summary:
        "Requests/s, error % and p50/p95/p99 latency of an app's traffic at the edge, in total and per route, release, instance or status code",
      tag: "metrics",
      permission: "read",
      params: appParamsSchema,
      query: summaryQuerySchema,
      response: metricsSummarySchema,
      handler: ({ params, query }) => metrics.summary(params.env, params.app, query.by, query.since),
    }),
  ];
}
