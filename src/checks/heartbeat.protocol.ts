import { z } from "zod";
import type { ProtocolPlugin } from "../api/api-server.ts";
import { RampartError } from "../shared/errors.ts";
import type { ChecksService } from "./checks.service.ts";
import type { HeartbeatUrls } from "./heartbeat-urls.ts";

const paramsSchema = z.object({
  env: z.string().min(1).max(100),
  app: z.string().min(1).max(100),
  name: z.string().min(1).max(100),
  token: z.string().max(100),
});

/**
 * `POST /api/v1/heartbeats/:env/:app/:name/:token`: a job reporting in with its heartbeat's URL alone
 * (`rampart checks heartbeat-url`). The token is the credential, checked before anything else is looked at, so
 * a wrong one learns nothing about which heartbeats exist. Recorded like any request that changes something.
 */
export function heartbeatUrlProtocol(deps: {
  urls: HeartbeatUrls;
  checks: Pick<ChecksService, "ping">;
  assertApp(env: string, app: string): void;
}): ProtocolPlugin {
  return (app, access) => {
    app.post("/api/v1/heartbeats/:env/:app/:name/:token", async (request) => {
      const params = paramsSchema.safeParse(request.params);
      if (!params.success || !deps.urls.verify(params.data.env, params.data.app, params.data.name, params.data.token)) {
        throw new RampartError("heartbeat_url_invalid", "this heartbeat URL is not valid (its token does not match the heartbeat)", {
          hint: "print the URL again: rampart checks heartbeat-url APP NAME --env ENV",
        });
      }
      const { env, app: appName, name } = params.data;
      const actor = `heartbeat:${name}`;
      await access.record(request, actor);
      deps.assertApp(env, appName);
      return deps.checks.ping(env, appName, name, actor);
    });
  };
}
