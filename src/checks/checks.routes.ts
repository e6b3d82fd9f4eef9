import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import type { ChecksService } from "./checks.service.ts";
import type { HeartbeatUrls } from "./heartbeat-urls.ts";
import { checkViewSchema } from "./checks.types.ts";

const name = z.string().regex(/^[a-z][a-z0-9-]*$/, { error: "expected a name of a-z, 0-9 and -, e.g. nightly-backup" });

export function checksRoutes(checks: ChecksService, assertApp: (env: string, app: string) => void, urls: HeartbeatUrls): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/checks",
      summary: "Synthetic checks and heartbeats: target, state (pending, ok, failing), since when, and the last result",
      tag: "checks",
      permission: "read",
      query: z.strictObject({ env: z.string().min(1).optional(), app: z.string().min(1).optional() }),
      response: z.object({ checks: z.array(checkViewSchema) }),
      handler: async ({ query }) => ({ checks: checks.list(query) }),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/heartbeats/:env/:app/:name",
      summary:
        "A job reporting in for a heartbeat declared in apps.<app>.heartbeats; without a ping within every + grace the heartbeat fails. Takes the API token (a service token with deploy, e.g. CI's)",
      tag: "checks",
      permission: "deploy",
      params: z.strictObject({ env: z.string().min(1), app: z.string().min(1), name }),
      response: checkViewSchema,
      handler: async ({ params, actor }) => {
        assertApp(params.env, params.app);
        return checks.ping(params.env, params.app, params.name, actor);
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/heartbeats/:env/:app/:name/url",
      summary:
        "The heartbeat's own ping URL (its path; POST to it with no token): what a cron job holds instead of an API token. A POST so that handing it out is recorded",
      tag: "checks",
      permission: "deploy",
      params: z.strictObject({ env: z.string().min(1), app: z.string().min(1), name }),
      response: z.object({ path: z.string() }),
      handler: async ({ params }) => {
        assertApp(params.env, params.app);
        checks.heartbeat(params.env, params.app, params.name);
        return { path: urls.path(params.env, params.app, params.name) };
      },
    }),
  ];
}
