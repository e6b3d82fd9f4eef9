import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Agent } from "undici";
import { z } from "zod";
import { readCredentials } from "../daemon/credentials.ts";
import { shutdownBodySchema } from "../platform/platform.routes.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import { deployBodySchema, promoteBodySchema, rollbackBodySchema } from "../releases/release.types.ts";
import { killPlatform, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { operationsOf, requestFor, urlOf, type GeneratedRequest, type Operation } from "./api-requests.fixture.ts";
import {
  BATCH,
  countOf,
  envelopeProblem,
  PROPERTY_RUNS as REQUESTS,
  runGenerated,
  sendRaw,
  statusSummary,
  type Answer,
} from "./property-harness.fixture.ts";

/**
 * Generated requests against a real `rampart up`, over keep-alive, a batch at a time: no answer is a 5xx, every
 * 4xx carries `error.code`, and an invalid_request names each bad field in `details`.
 */

// Requests that would change the platform if they were valid: deploys, rollbacks, promotions start rollouts,
// a shutdown stops the platform under test, an environment stop its instances. A valid one is pointed at an app
// (or an environment) that does not exist instead.
const GUARDED: Record<string, z.ZodType> = {
  "POST /api/v1/envs/{env}/apps/{app}/releases": deployBodySchema,
  "POST /api/v1/envs/{env}/apps/{app}/rollbacks": rollbackBodySchema,
  "POST /api/v1/apps/{app}/promotions": promoteBodySchema,
  "POST /api/v1/shutdown": shutdownBodySchema,
  "POST /api/v1/envs/{env}/stop": z.unknown(),
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
  if (req.operation.path.endsWith("/shutdown"))
    return { ...req, body: { text: '{"stopApps":"not a boolean"}', contentType: "application/json" } };
  if (req.operation.path.endsWith("/stop")) return { ...req, params: { ...req.params, env: "no-such-env" } };
  return { ...req, params: { ...req.params, app: "no-such-app" } };
}

function problemWith(req: GeneratedRequest, answer: Answer): string | undefined {
  const what = `${req.method} ${urlOf(req)} body=${req.body ? `${req.body.contentType} ${req.body.text.slice(0, 200)}` : "none"} auth=${req.auth} → ${answer.status} ${answer.text.slice(0, 300)}`;
  if (answer.status >= 500) return `a 5xx: ${what}`;
  if (answer.status < 400) return undefined;
  return envelopeProblem(answer, what);
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

  function send(req: GeneratedRequest): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (req.auth === "token") headers.authorization = `Bearer ${token}`;
    if (req.auth === "wrong") headers.authorization = `Bearer ${"x".repeat(43)}`;
    if (req.body?.contentType) headers["content-type"] = req.body.contentType;
    return sendRaw(agent, up.client.baseUrl, { method: req.method, url: urlOf(req), headers, body: req.body?.text });
  }

  it(`answers ${REQUESTS} generated requests with no 5xx and a coded error for every 4xx`, async (t) => {
    const real = { env: ["staging", "production"], app: ["web"], number: ["1"] };
    const { sent, statuses } = await runGenerated(requestFor(operations, real).map(defanged), send, problemWith);
    assert.ok(sent >= REQUESTS, `sent ${sent}`);
    t.diagnostic(`${sent} requests; answers by status: ${statusSummary(statuses)}`);
    // The mix must reach the handlers, not only the validators: some answers are 2xx.
    const ok = countOf(statuses, (s) => s < 300);
    assert.ok(ok > REQUESTS / 100, `only ${ok} 2xx answers among ${statusSummary(statuses)}`);
    // The platform is still up and still the same process.
    assert.equal((await up.client.health()).pid, up.pid);
  });
});
