import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import { parseDuration } from "../config/units.ts";
import type { RumService } from "./rum.service.ts";
import { rumSummarySchema } from "./rum.types.ts";

const params = z.strictObject({ env: z.string().min(1), app: z.string().min(1) });
/** RUM rows are kept a week. */
const MAX_SINCE_MS = 7 * 86_400_000;

const sinceParam = z.string().transform((value, ctx): number => {
  const parsed = parseDuration(value, { maxMs: MAX_SINCE_MS });
  if (parsed.ok && parsed.value >= 1000) return parsed.value;
  ctx.addIssue({ code: "custom", message: parsed.ok ? `expected 1s to 7d, got ${JSON.stringify(value)}` : `${parsed.message} (e.g. 1h)` });
  return z.NEVER;
});

export function rumRoutes(service: RumService, assertApp: (env: string, app: string) => void): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/envs/:env/apps/:app/rum",
      summary: "Real-user monitoring: per release, the p75 of each web vital (LCP, INP, CLS, FCP, TTFB) and the JS errors pages reported",
      tag: "rum",
      permission: "read",
      params,
      query: z.strictObject({ since: sinceParam.default(3_600_000).describe("look-back, e.g. 1h (default), up to 7d") }),
      response: rumSummarySchema,
      handler: ({ params: p, query }) => {
        assertApp(p.env, p.app);
        return service.summary(p.env, p.app, query.since);
      },
    }),
  ];
}
