import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { EdgeControl } from "./edge-primary.ts";
import { parseRoutingTable } from "./routing-table.schema.ts";
import { errorMessage } from "../shared/errors.ts";
import { type ErrorCode, errorCatalogue } from "../shared/error-catalogue.ts";

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * The control API on the edge's unix socket (only the control plane talks to it):
 * PUT /table, GET /stats, GET /inflight, GET /health. Every failure is an answer, never a crash.
 */
export function createControlServer(control: EdgeControl): Server {
  return createServer((req, res) => {
    route(control, req, res).catch((error: unknown) => sendError(res, "internal", errorMessage(error)));
  });
}

async function route(control: EdgeControl, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/table") {
    if (req.method !== "PUT") return sendError(res, "method_not_allowed", "use PUT /table");
    return putTable(control, req, res);
  }
  if (path === "/inflight") {
    if (req.method !== "GET") return sendError(res, "method_not_allowed", "use GET /inflight");
    return sendJson(res, 200, { inflight: await control.readInflight() });
  }
  if (path === "/stats" || path === "/health") {
    if (req.method !== "GET") return sendError(res, "method_not_allowed", `use GET ${path}`);
    return sendJson(res, 200, path === "/stats" ? await control.readStats() : control.health());
  }
  sendError(res, "not_found", `no control endpoint ${req.method ?? ""} ${path ?? ""}`);
}

async function putTable(control: EdgeControl, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = await readBody(req);
  if (text === undefined) return sendError(res, "body_too_large", `table larger than ${MAX_BODY_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return sendError(res, "invalid_table", "body is not valid JSON");
  }
  const parsed = parseRoutingTable(json);
  if (!parsed.ok) return sendError(res, "invalid_table", parsed.message);
  sendJson(res, 200, await control.applyTable(parsed.table, true));
}

/** The body as text, or undefined when it exceeds the limit. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, code: ErrorCode, message: string): void {
  sendJson(res, errorCatalogue[code].status, { error: { code, message } });
}
