import { createReadStream } from "node:fs";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ProtocolPlugin } from "../api/api-server.ts";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import type { BackupService } from "./backup.service.ts";
import { backupViewSchema } from "./backup.types.ts";

export function backupRoutes(backups: BackupService): RouteDefinition[] {
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/backups",
      summary: "Takes an online, consistent backup of the platform's state into the backups dir; download it from /api/v1/backups/:name",
      tag: "backups",
      permission: "platform.manage",
      status: 201,
      body: z.strictObject({}).optional(),
      response: backupViewSchema,
      handler: ({ actor }) => backups.create(actor),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/backups",
      summary: "The backups in the backups dir, oldest first",
      tag: "backups",
      permission: "platform.manage",
      response: z.object({ dir: z.string(), backups: z.array(backupViewSchema) }),
      handler: async () => ({ dir: backups.dir, backups: backups.list() }),
    }),
  ];
}

/**
 * `GET /api/v1/backups/:name`: the archive's bytes (application/gzip), streamed, with its sha256 in
 * `X-Rampart-Sha256` so the CLI checks what it wrote. A raw body, so a protocol plugin beside the JSON routes.
 */
export function backupDownloadProtocol(backups: BackupService): ProtocolPlugin {
  return (app: FastifyInstance, access) => {
    app.get<{ Params: { name: string } }>("/api/v1/backups/:name", async (request, reply) => {
      await access.require(request, { permission: "platform.manage" });
      const path = backups.pathOf(request.params.name);
      const view = backups.list().find((b) => b.name === request.params.name);
      if (view) reply.header("x-rampart-sha256", view.sha256).header("content-length", view.bytes);
      return reply.code(200).header("content-type", "application/gzip").send(createReadStream(path));
    });
  };
}
