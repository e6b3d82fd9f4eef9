import type { FastifyInstance } from "fastify";
import type { ProtocolPlugin } from "../api/api-server.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus-text.ts";

/**
 * `GET /metrics` on the API port in the Prometheus text format. It asks for the platform token (Prometheus:
 * `authorization: { credentials_file: <data>/credentials token> }`) unless the operator opts out with
 * RAMPART_METRICS_AUTH=none, e.g. when the API only listens on a private network.
 */
export function prometheusProtocol(options: { render: () => string; requireToken: boolean }): ProtocolPlugin {
  return (app: FastifyInstance, auth) => {
    app.get("/metrics", async (request, reply) => {
      if (options.requireToken) auth.admin(request);
      return reply.code(200).header("content-type", PROMETHEUS_CONTENT_TYPE).send(options.render());
    });
  };
}
