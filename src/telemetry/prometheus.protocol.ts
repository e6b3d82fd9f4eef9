import type { FastifyInstance } from "fastify";
import type { ProtocolPlugin } from "../api/api-server.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus-text.ts";

/**
 * `GET /metrics` on the API port in the Prometheus text format. It asks for a caller with `read` in every
 * environment (a service token with viewer --env '*', or the credentials token: Prometheus's
 * `authorization: { credentials_file: … }`) unless the operator opts out with
 * RAMPART_METRICS_AUTH=none, e.g. when the API only listens on a private network.
 */
export function prometheusProtocol(options: { render: () => string; requireToken: boolean }): ProtocolPlugin {
  return (app: FastifyInstance, access) => {
    app.get("/metrics", async (request, reply) => {
      // Every environment's numbers: a role in every environment that reads (viewer and up), or the credentials file.
      if (options.requireToken) await access.require(request, { permission: "read" });
      return reply.code(200).header("content-type", PROMETHEUS_CONTENT_TYPE).send(options.render());
    });
  };
}
