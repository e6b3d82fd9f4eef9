import { connect } from "node:net";
import fc from "fast-check";
import { request, type Agent } from "undici";

/**
 * What the generated-request property tests share (api.property.e2e.test.ts, protocols.property.e2e.test.ts): the
 * run size and seed from the environment, sending one request over a keep-alive agent, the check of our JSON error
 * envelope, and the batched fast-check loop that counts answers by status.
 */

export const PROPERTY_RUNS = Number(process.env.RAMPART_PROPERTY_RUNS ?? 10_000);
/** Requests in flight at once, over as many keep-alive connections. */
export const BATCH = 8;
const SEED = process.env.RAMPART_PROPERTY_SEED ? Number(process.env.RAMPART_PROPERTY_SEED) : undefined;

export interface Answer {
  status: number;
  contentType: string;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface RawRequest {
  method: string;
  /** Path and query, e.g. /v1/logs or /api/v1/flags?env=staging */
  url: string;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
}

export async function sendRaw(agent: Agent, baseUrl: string, req: RawRequest): Promise<Answer> {
  if (req.body !== undefined && req.body.length > OVER_BODY_LIMIT) return sendOversized(baseUrl, req);
  const response = await request(`${baseUrl}${req.url}`, {
    method: req.method as "GET",
    headers: req.headers,
    body: req.body,
    dispatcher: agent,
  });
  const contentType = String(response.headers["content-type"] ?? "");
  // A stream that opened is left at its headers: it would never end by itself.
  if (contentType.startsWith("text/event-stream")) {
    response.body.destroy();
    return { status: response.statusCode, contentType, headers: response.headers, text: "" };
  }
  return { status: response.statusCode, contentType, headers: response.headers, text: await response.body.text() };
}

/** Above the API's body limit (1 MiB): the API answers 413 and closes before the whole body is written. */
const OVER_BODY_LIMIT = 1024 * 1024;

/**
 * An oversized body on a raw connection of its own, as curl sends it: the answer is read even when the write then
 * fails (EPIPE, ECONNRESET), where undici and node:http's client fail on the write and read nothing. Kept alive, as
 * curl's is: the API then reads the rest of the body past its answer and discards it. With `Connection: close` it
 * closed with the body's rest unread, and the kernel's reset could discard the answer before it was read.
 */
function sendOversized(baseUrl: string, req: RawRequest): Promise<Answer> {
  const url = new URL(baseUrl);
  const body = typeof req.body === "string" ? Buffer.from(req.body) : Buffer.from(req.body ?? []);
  const head = [
    `${req.method} ${req.url} HTTP/1.1`,
    `Host: ${url.host}`,
    `Content-Length: ${body.length}`,
    ...Object.entries(req.headers).map(([name, value]) => `${name}: ${value}`),
    "",
    "",
  ].join("\r\n");
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(head);
      socket.end(body);
    });
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      // A whole answer (head and Content-Length bytes) ends the exchange: the connection is kept alive otherwise.
      const raw = Buffer.concat(chunks);
      const end = raw.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: *(\d+)/i.exec(raw.subarray(0, end).toString("latin1"))?.[1];
      if (end >= 0 && length !== undefined && raw.length >= end + 4 + Number(length)) socket.destroy();
    });
    socket.on("error", () => undefined); // the refused rest of the body; the answer is judged on close
    socket.on("close", () => {
      const raw = Buffer.concat(chunks).toString("latin1");
      const end = raw.indexOf("\r\n\r\n");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);
      if (end < 0 || status === 0)
        return reject(new Error(`no answer to an oversized ${req.method} ${req.url} (${raw.length} bytes read)`));
      const headers: Record<string, string> = {};
      for (const line of raw.slice(0, end).split("\r\n").slice(1)) {
        const colon = line.indexOf(":");
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const text = Buffer.from(raw.slice(end + 4), "latin1").toString("utf8");
      resolve({ status, contentType: headers["content-type"] ?? "", headers, text });
    });
  });
}

/**
 * Our error envelope: `{ error: { code, message, details? } }`; an invalid_request lists each bad field in
 * `details` as `body.x`, `query.y`, `headers.z`… Returns what is wrong with the answer, or undefined.
 */
export function envelopeProblem(answer: Answer, what: string): string | undefined {
  let error: { code?: unknown; message?: unknown; details?: unknown } | undefined;
  try {
    error = (JSON.parse(answer.text) as { error?: typeof error }).error;
  } catch {
    return `a ${answer.status} that is not JSON: ${what}`;
  }
  if (typeof error?.code !== "string" || typeof error.message !== "string" || error.message === "")
    return `a ${answer.status} without error.code and message: ${what}`;
  if (error.code !== "invalid_request") return undefined;
  const details = error.details;
  if (!Array.isArray(details) || details.length === 0) return `invalid_request without details: ${what}`;
  for (const detail of details as { field?: unknown; message?: unknown }[]) {
    if (
      typeof detail.field !== "string" ||
      !/^(body|query|params|headers|url|request)(\.|$)/.test(detail.field) ||
      typeof detail.message !== "string"
    ) {
      return `invalid_request detail without a field: ${JSON.stringify(detail)} in ${what}`;
    }
  }
  return undefined;
}

/**
 * Runs PROPERTY_RUNS generated requests, BATCH at a time, and throws on the first answer `check` finds wrong
 * (fast-check then reports the seed to replay it). Returns the count of answers by status.
 */
export async function runGenerated<R>(
  generated: fc.Arbitrary<R>,
  send: (req: R) => Promise<Answer>,
  check: (req: R, answer: Answer) => string | undefined,
): Promise<{ sent: number; statuses: Map<number, number> }> {
  const statuses = new Map<number, number>();
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(generated, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      const answers = await Promise.all(batch.map(async (req) => ({ req, answer: await send(req) })));
      sent += answers.length;
      for (const { req, answer } of answers) {
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const problem = check(req, answer);
        if (problem) throw new Error(problem);
      }
    }),
    { numRuns: Math.ceil(PROPERTY_RUNS / BATCH), endOnFailure: true, seed: SEED },
  );
  return { sent, statuses };
}

export function countOf(statuses: Map<number, number>, test: (status: number) => boolean): number {
  return [...statuses].filter(([s]) => test(s)).reduce((n, [, c]) => n + c, 0);
}

export function statusSummary(statuses: Map<number, number>): string {
  return JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)));
}
