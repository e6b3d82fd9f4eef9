import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { TLSSocket } from "node:tls";
import type { Clock } from "../shared/clock.ts";
import type { ProbeResult } from "./check-condition.ts";

/** Bodies are read up to this size: enough for a health document, bounded against a streaming endpoint. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface ProbeRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  timeoutMs: number;
  /**
   * Checks through Rampart's own edge address it by loopback IP, where no certificate can match the name, so they
   * read the certificate (for its expiry) without verifying it. Checks of a `url` verify as any client would.
   */
  verifyTls: boolean;
}

/** What the service probes through; tests give it a fake. */
export type Prober = (request: ProbeRequest) => Promise<ProbeResult>;

export function httpProber(clock: Clock): Prober {
  return (probe) =>
    new Promise((resolve) => {
      const started = clock.now();
      let certificateExpiresAt: number | null = null;
      let settled = false;
      const finish = (result: Omit<ProbeResult, "elapsedMs" | "certificateExpiresAt">) => {
        if (settled) return;
        settled = true;
        resolve({ ...result, elapsedMs: clock.now() - started, certificateExpiresAt });
      };
      const url = new URL(probe.url);
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      const req = send(
        url,
        {
          method: probe.method,
          headers: { "user-agent": "rampart-check", ...probe.headers },
          timeout: probe.timeoutMs,
          rejectUnauthorized: probe.verifyTls,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            if (size < MAX_BODY_BYTES) chunks.push(chunk);
            size += chunk.length;
          });
          res.on("end", () => finish({ status: res.statusCode ?? null, bodyText: Buffer.concat(chunks).toString("utf8"), error: null }));
          res.on("error", (error) => finish({ status: null, bodyText: "", error: error.message }));
        },
      );
      req.on("socket", (socket) => {
        if (!("getPeerCertificate" in socket)) return;
        const tls = socket as TLSSocket;
        tls.once("secureConnect", () => {
          const validTo = tls.getPeerCertificate().valid_to;
          if (validTo) certificateExpiresAt = Date.parse(validTo);
        });
      });
      req.on("timeout", () => {
        req.destroy();
        finish({ status: null, bodyText: "", error: `no response within ${probe.timeoutMs}ms` });
      });
      req.on("error", (error) => finish({ status: null, bodyText: "", error: error.message }));
      req.end(probe.body ?? undefined);
    });
}
