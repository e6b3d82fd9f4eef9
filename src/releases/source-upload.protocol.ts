import type { FastifyInstance } from "fastify";
import type { ProtocolPlugin } from "../api/api-server.ts";
import { SOURCE_BUNDLE_TYPE as BUNDLE } from "./source-bundle.types.ts";
import type { SourceUploads } from "./source-upload.ts";

/**
 * `POST /api/v1/uploads`: a source bundle (see source-bundle.ts) as the raw body, with the artifact digest it
 * describes in `X-Rampart-Artifact-Digest`. Answers `{upload, digest, files, bytes}`; the deploy names the upload.
 * A raw-body endpoint, so a protocol plugin beside the JSON routes, for callers with `deploy` in some environment.
 */
export function sourceUploadProtocol(uploads: SourceUploads): ProtocolPlugin {
  return (app: FastifyInstance, access) => {
    const bodyLimit = uploads.limits.maxCompressedBytes;
    app.addContentTypeParser(BUNDLE, { parseAs: "buffer", bodyLimit }, (_request, body, done) => done(null, body));
    app.post("/api/v1/uploads", { bodyLimit }, async (request, reply) => {
      // Only a deploy uses an upload, and the deploy is checked in its environment: here `deploy` anywhere will do.
      await access.require(request, { permission: "deploy", anyEnvironment: true });
      const body = request.body;
      if (!Buffer.isBuffer(body)) {
        return reply.code(415).send({
          error: { code: "unsupported_media_type", message: `the body must be ${BUNDLE}`, details: { field: "headers.content-type" } },
        });
      }
      const digest = request.headers["x-rampart-artifact-digest"];
      const accepted = await uploads.accept(body, typeof digest === "string" ? digest : undefined);
      return reply.code(201).send(accepted);
    });
  };
}
