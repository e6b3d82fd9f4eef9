import type { EdgeReply, EdgeRequest } from "./edge-request.types.ts";
import type { EdgeErrorCode } from "../shared/error-catalogue.ts";

// The codes and their statuses are declared in the error catalogue; error-catalogue.test.ts checks each call site.
export type { EdgeErrorCode } from "../shared/error-catalogue.ts";

const TITLES: Record<EdgeErrorCode, string> = {
  bad_request: "Bad Request",
  request_timeout: "Request Timeout",
  header_too_large: "Request Header Fields Too Large",
  not_implemented: "Not Implemented",
  payload_too_large: "Content Too Large",
  rate_limited: "Too Many Requests",
  no_route: "Not Found",
  no_healthy_instance: "Service Unavailable",
  bad_gateway: "Bad Gateway",
  gateway_timeout: "Gateway Timeout",
  auth_required: "Unauthorized",
  auth_forbidden: "Forbidden",
  auth_unavailable: "Service Unavailable",
  rum_forbidden: "Forbidden",
  rum_method_not_allowed: "Method Not Allowed",
};

/**
 * Answers a request the edge could not forward. APIs get the same error envelope as Rampart's own API;
 * a browser (Accept prefers text/html) gets a small page instead of raw JSON.
 */
export function sendEdgeError(
  req: EdgeRequest,
  res: EdgeReply,
  status: number,
  code: EdgeErrorCode,
  message: string,
  requestId: string,
  accept: string | undefined,
): void {
  if (res.headersSent) {
    // Too late for a status line: cutting the connection is the only honest signal left.
    res.destroy();
    return;
  }
  const html = accept !== undefined && prefersHtml(accept);
  const body = html ? htmlPage(status, code, message, requestId) : JSON.stringify({ error: { code, message, requestId } });
  res.writeHead(status, {
    "content-type": html ? "text/html; charset=utf-8" : "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    "x-request-id": requestId,
  });
  if (req.method === "HEAD") res.end();
  else res.end(body);
}

/** True when text/html has a higher q than application/json (ties go to whichever is listed first). */
export function prefersHtml(accept: string): boolean {
  if (!accept.includes("html")) return false;
  let htmlQ = -1;
  let jsonQ = -1;
  let htmlAt = -1;
  let jsonAt = -1;
  const parts = accept.split(",");
  for (let i = 0; i < parts.length; i++) {
    const [rawType = "", ...params] = (parts[i] as string).split(";");
    const type = rawType.trim().toLowerCase();
    const q = quality(params);
    if ((type === "text/html" || type === "application/xhtml+xml") && q > htmlQ) {
      htmlQ = q;
      htmlAt = i;
    } else if ((type === "application/json" || type === "*/*") && q > jsonQ) {
      jsonQ = q;
      jsonAt = i;
    }
  }
  if (htmlQ <= 0) return false;
  return htmlQ > jsonQ || (htmlQ === jsonQ && htmlAt < jsonAt);
}

function quality(params: string[]): number {
  for (const p of params) {
    const [key = "", value = ""] = p.split("=");
    if (key.trim().toLowerCase() === "q") {
      const q = Number(value.trim());
      return Number.isFinite(q) ? q : 1;
    }
  }
  return 1;
}

function htmlPage(status: number, code: EdgeErrorCode, message: string, requestId: string): string {
  const title = `${status} ${TITLES[code]}`;
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>` +
    `<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}` +
    `small{color:#777}</style></head><body><h1>${title}</h1><p>${escapeHtml(message)}</p>` +
    `<p><small>Request id: ${escapeHtml(requestId)} · Rampart edge</small></p></body></html>`
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
