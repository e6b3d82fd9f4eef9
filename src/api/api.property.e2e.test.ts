import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { Agent, request } from "undici";
import type { z } from "zod";
import { readCredentials } from "../daemon/credentials.ts";
import { shutdownBodySchema } from "../platform/platform.routes.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import { deployBodySchema, promoteBodySchema, rollbackBodySchema } from "../releases/release.types.ts";
import { killPlatform, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { operationsOf, requestFor, urlOf, type GeneratedRequest, type Operation } from "./api-requests.fixture.ts";

/**
 * Generated requests against a real `rampart up`, over keep-alive, a batch at a time: no answer is a 5xx, every
 * 4xx carries `error.code`, and an invalid_request names each bad field in `details`.
 */

const REQUESTS = Number(process.env.RAMPART_PROPERTY_RUNS ?? 10_000);
const BATCH = 8;

// Requests that would change the platform if they were valid: deploys, rollbacks, promotions start rollouts,
// a shutdown stops the platform under test. A valid one is pointed at an app that does not exist instead.
const GUARDED: Record<string, z.ZodType> = {
  "POST /api/v1/envs/{env}/apps/{app}/releases": deployBodySchema,
  "POST /api/v1/envs/{env}/apps/{app}/rollbacks": rollbackBodySchema,
  "POST /api/v1/apps/{app}/promotions": promoteBodySchema,
  "POST /api/v1/shutdown": shutdownBodySchema,
};

/** The body as the server will see it (Fastify's parsers, then `body ?? {}`), or undefined when it is refused first. */
function bodyAsSeen(body: GeneratedRequest["body"]): { value: unknown } | undefined {
  // No content type: Fastify parses nothing, and an empty or unparsed body counts as {}.
  if (body === null || !body.contentType) return { value: {} };
  if (body.contentType.startsWith("text/plain")) return { value: body.text };
  if (!body.contentType.startsWith("application/json")) return undefined;
  try {
    return { value: JSON.parse(body.text) as unknown };
  } catch {
    return undefined;
  }
}

function defanged(req: GeneratedRequest): GeneratedRequest {
  const schema = GUARDED[`${req.method} ${req.operation.path}`];
  const body = bodyAsSeen(req.body);
  if (!schema || req.auth !== "token" || !body || !schema.safeParse(body.value ?? {}).success) return req;
  if (req.operation.path.endsWith("/shutdown")) return { ...req, body: { text: '{"stopApps":"not a boolean"}', contentType: "application/json" } };
  return { ...req, params: { ...req.params, app: "no-such-app" } };
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

function problemWith(req: GeneratedRequest, answer: Answer): string | undefined {
  const what = `${req.method} ${urlOf(req)} body=${req.body ? `${req.body.contentType} ${req.body.text.slice(0, 200)}` : "none"} auth=${req.auth} → ${answer.status} ${answer.text.slice(0, 300)}`;
  if (answer.status >= 500) return `a 5xx: ${what}`;
  if (answer.status < 400) return undefined;
  let error: { code?: unknown; message?: unknown; details?: unknown } | undefined;
  try {
    error = (JSON.parse(answer.text) as { error?: typeof error }).error;
  } catch {
    return `a ${answer.status} that is not JSON: ${what}`;
  }
  if (typeof error?.code !== "string" || typeof error.message !== "string") return `a ${answer.status} without error.code and message: ${what}`;
  if (error.code !== "invalid_request") return undefined;
  const details = error.details;
  if (!Array.isArray(details) || details.length === 0) return `invalid_request without details: ${what}`;
  for (const detail of details as { field?: unknown; message?: unknown }[]) {
    if (typeof detail.field !== "string" || !/^(body|query|params|headers|url|request)(\.|$)/.test(detail.field) || typeof detail.message !== "string") {
      return `invalid_request detail without a field: ${JSON.stringify(detail)} in ${what}`;
    }
  }
  return undefined;
}

describe("the HTTP API under generated requests", () => {
  let project: TestProject;
  let up: RampartUp;
  let token: string;
  let operations: Operation[];
  const agent = new Agent({ connections: BATCH, keepAliveTimeout: 30_000, headersTimeout: 10_000, bodyTimeout: 10_000 });

  before(async () => {
    project = await createTestProject({ instances: 1 });
    up = await startRampartUp(project);
    token = readCredentials(project.dataDir)?.token ?? assert.fail("no credentials");
    // A live release, so reads of releases, rollouts and logs reach real rows, not only 404s.
    await waitForRelease(up.client, await up.client.deploy("staging", "web"), 60_000);
    const doc = await (await fetch(`${up.client.baseUrl}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${token}` } })).json();
    operations = operationsOf(doc as Parameters<typeof operationsOf>[0]);
  });
  after(async () => {
    await agent.close();
    await killPlatform(project.dataDir, up);
  });

  async function send(req: GeneratedRequest): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (req.auth === "token") headers.authorization = `Bearer ${token}`;
    if (req.auth === "wrong") headers.authorization = `Bearer ${"x".repeat(43)}`;
    if (req.body?.contentType) headers["content-type"] = req.body.contentType;
    const response = await request(`${up.client.baseUrl}${urlOf(req)}`, { method: req.method as "GET", headers, body: req.body?.text, dispatcher: agent });
    const contentType = String(response.headers["content-type"] ?? "");
    // A stream that opened is left at its headers: it would never end by itself.
    if (contentType.startsWith("text/event-stream")) {
      response.body.destroy();
      return { status: response.statusCode, contentType, text: "" };
    }
    return { status: response.statusCode, contentType, text: await response.body.text() };
  }

  it(`answers ${REQUESTS} generated requests with no 5xx and a coded error for every 4xx`, async (t) => {
    const real = { env: ["staging", "production"], app: ["web"], number: ["1"] };
    const statuses = new Map<number, number>();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(requestFor(operations, real), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const answers = await Promise.all(batch.map(defanged).map(async (req) => ({ req, answer: await send(req) })));
        sent += answers.length;
        for (const { req, answer } of answers) {
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          const problem = problemWith(req, answer);
          if (problem) throw new Error(problem);
        }
      }),
      { numRuns: Math.ceil(REQUESTS / BATCH), endOnFailure: true, seed: process.env.RAMPART_PROPERTY_SEED ? Number(process.env.RAMPART_PROPERTY_SEED) : undefined },
    );
    assert.ok(sent >= REQUESTS, `sent ${sent}`);
    t.diagnostic(`${sent} requests; answers by status: ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
    // The mix must reach the handlers, not only the validators: some answers are 2xx.
    const ok = [...statuses].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
    assert.ok(ok > REQUESTS / 100, `only ${ok} 2xx answers among ${JSON.stringify(Object.fromEntries(statuses))}`);
    // The platform is still up and still the same process.
    assert.equal((await up.client.health()).pid, up.pid);
  });
});
