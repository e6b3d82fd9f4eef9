import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyRequest } from "fastify";
import type { ProtocolAccess } from "../api/api-server.ts";
import { writeFileAtomicSync } from "../shared/atomic-file.ts";
import { RampartError } from "../shared/errors.ts";

/**
 * The token apps send their telemetry with. It is not the platform token: it can only push OTLP data, so handing
 * it to every instance (OTEL_EXPORTER_OTLP_HEADERS) gives an app no control over the platform. It survives restarts,
 * since adopted instances keep the environment they were started with.
 */
export function readOrCreateIngestToken(dataDir: string): string {
  const path = join(dataDir, "otlp-ingest-token");
  if (existsSync(path)) {
    const token = readFileSync(path, "utf8").trim();
    if (token.length >= 32) return token;
  }
  const token = `ingest_${randomBytes(24).toString("base64url")}`;
  writeFileAtomicSync(path, `${token}\n`, 0o600);
  return token;
}

/**
 * The check for the OTLP receivers (/v1/logs, /v1/traces, /v1/metrics): the ingest token, or a caller the API
 * knows with `platform.manage` (the credentials file; telemetry is not anyone else's to write). Returns the actor.
 */
export function otlpAuth(ingestToken: string, access: ProtocolAccess): (request: FastifyRequest) => Promise<string> {
  const expected = Buffer.from(ingestToken);
  return async (request) => {
    const header = request.headers.authorization ?? "";
    const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7) : "");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return "otlp-ingest";
    try {
      return await access.require(request, { permission: "platform.manage" });
    } catch (error) {
      if (!(error instanceof RampartError) || (error.code !== "unauthorized" && error.code !== "session_ended")) throw error;
      throw new RampartError("unauthorized", "missing or wrong bearer token for OTLP ingest", {
        hint: "instances get the ingest token in OTEL_EXPORTER_OTLP_HEADERS; it is also in <data>/otlp-ingest-token",
      });
    }
  };
}
