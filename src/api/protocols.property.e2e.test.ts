import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Agent } from "undici";
import { readCredentials } from "../daemon/credentials.ts";
import { killPlatform, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { operationsOf } from "./api-requests.fixture.ts";
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
import { protocolRequest, type ProtocolRequest, type ProtocolWorld } from "./protocol-requests.fixture.ts";

/**
 * Generated requests against the endpoints of the protocol plugins (OTLP/HTTP, Prometheus, the flag SDK's
 * snapshot/stream/metrics, OFREP) on a real `rampart up`: no 5xx, the platform stays up, and every 4xx says what is
 * wrong in the shape its protocol uses: our envelope naming the field (OTLP, SDK, Prometheus), or OFREP's
 * `errorCode` with `errorDetails` naming the body, the context, the flag or the token.
 */

const OFREP_ERROR_CODES = new Set([
  "PARSE_ERROR",
  "TARGETING_KEY_MISSING",
  "INVALID_CONTEXT",
  "FLAG_NOT_FOUND",
  "TYPE_MISMATCH",
  "GENERAL",
  "UNAUTHORIZED",
]);

function describeRequest(req: ProtocolRequest, answer: Answer): string {
  const body =
    req.body === undefined
      ? "none"
      : typeof req.body === "string"
        ? req.body.slice(0, 300)
        : `${req.body.length} bytes ${Buffer.from(req.body).subarray(0, 64).toString("hex")}`;
  return `${req.method} ${req.url.slice(0, 200)} content-type=${req.headers["content-type"] ?? "none"} if-none-match=${req.headers["if-none-match"]?.slice(0, 40) ?? "none"} auth=${req.auth} body=${body} → ${answer.status} ${answer.contentType} ${answer.text.slice(0, 300)}`;
}

function json(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** OFREP errors: a known errorCode and errorDetails that name what is at fault. */
function ofrepErrorProblem(error: Record<string, unknown>, status: number, what: string): string | undefined {
  const { errorCode, errorDetails } = error;
  if (typeof errorCode !== "string" || !OFREP_ERROR_CODES.has(errorCode)) return `an OFREP error without a known errorCode: ${what}`;
  if (typeof errorDetails !== "string" || errorDetails === "") return `an OFREP error without errorDetails: ${what}`;
  if ((errorCode === "PARSE_ERROR" || errorCode === "INVALID_CONTEXT") && !/^(body|context)\b/.test(errorDetails))
    return `an OFREP ${errorCode} that names no field: ${what}`;
  if (errorCode === "UNAUTHORIZED" && (status !== 401 || !/token/i.test(errorDetails)))
    return `an OFREP UNAUTHORIZED that is not a 401 naming the token: ${what}`;
  if (errorCode === "FLAG_NOT_FOUND" && (status !== 404 || !/flag/.test(errorDetails)))
    return `an OFREP FLAG_NOT_FOUND that is not a 404 naming the flag: ${what}`;
  return undefined;
}

function ofrepProblem(answer: Answer, what: string): string | undefined {
  if (answer.status === 304) return answer.text === "" ? undefined : `a 304 with a body: ${what}`;
  const body = json(answer.text);
  if (body === undefined) return `an OFREP answer that is not a JSON object: ${what}`;
  // Answered before any OFREP route is chosen, in our envelope: a path no route matched (404), a key longer than
  // the router takes (414).
  if ("error" in body)
    return answer.status === 404 || answer.status === 414
      ? envelopeProblem(answer, what)
      : `an OFREP route answering in the API envelope: ${what}`;
  if (answer.status >= 400) return ofrepErrorProblem(body, answer.status, what);
  if (Array.isArray(body.flags)) {
    for (const flag of body.flags as Record<string, unknown>[]) {
      if (typeof flag.key !== "string") return `a bulk entry without a key: ${what}`;
      if ("errorCode" in flag) {
        const problem = ofrepErrorProblem(flag, 400, what);
        if (problem) return problem;
      } else if (!("value" in flag) || typeof flag.reason !== "string") return `a bulk entry without value and reason: ${what}`;
    }
    return undefined;
  }
  return typeof body.key === "string" && "value" in body && typeof body.reason === "string"
    ? undefined
    : `an OFREP 200 without key, value and reason: ${what}`;
}

function problemWith(req: ProtocolRequest, answer: Answer): string | undefined {
  const what = describeRequest(req, answer);
  if (answer.status >= 500) return `a 5xx: ${what}`;
  if (req.expect === "ofrep") return ofrepProblem(answer, what);
  if (answer.status >= 400) {
    const problem = envelopeProblem(answer, what);
    if (problem) return problem;
    const code = (json(answer.text)?.error as { code: string } | undefined)?.code;
    if (answer.status === 401 && code !== "unauthorized") return `a 401 that is not unauthorized: ${what}`;
    if (answer.status === 415 && !/"field":"headers\.content-(type|encoding)"/.test(answer.text))
      return `a 415 that names neither headers.content-type nor headers.content-encoding: ${what}`;
    return undefined;
  }
  switch (req.expect) {
    case "otlp": {
      const protobuf = req.headers["content-type"]?.startsWith("application/x-protobuf");
      if (protobuf)
        return answer.contentType.startsWith("application/x-protobuf")
          ? undefined
          : `an OTLP protobuf request answered in ${answer.contentType}: ${what}`;
      const body = json(answer.text) as { partialSuccess?: { errorMessage?: unknown } } | undefined;
      if (body === undefined) return `an OTLP JSON answer that is not an object: ${what}`;
      if (
        body.partialSuccess !== undefined &&
        (typeof body.partialSuccess.errorMessage !== "string" || body.partialSuccess.errorMessage === "")
      )
        return `a partialSuccess without errorMessage: ${what}`;
      return undefined;
    }
    case "snapshot": {
      if (answer.status === 304) return answer.text === "" ? undefined : `a 304 with a body: ${what}`;
      const version = json(answer.text)?.version;
      return typeof version === "number" && answer.headers.etag === `"${version}"`
        ? undefined
        : `a snapshot without version and its ETag: ${what}`;
    }
    case "stream":
      return answer.contentType.startsWith("text/event-stream") ? undefined : `a stream that is not text/event-stream: ${what}`;
    case "prometheus":
      return answer.contentType.startsWith("text/plain") ? undefined : `/metrics not in the text format: ${what}`;
    default:
      return undefined;
  }
}

/** Which endpoint a request was for, to show the mix: OFREP keys folded, OTLP split by encoding. */
function endpointOf(req: ProtocolRequest): string {
  const path = req.url.split("?")[0]!.replace(/^\/ofrep\/v1\/evaluate\/flags\/.*/, "/ofrep/v1/evaluate/flags/{key}");
  const encoding = path.startsWith("/v1/")
    ? req.headers["content-type"]?.startsWith("application/x-protobuf")
      ? " protobuf"
      : " json"
    : "";
  return `${req.method} ${path}${encoding}`;
}

describe("the protocol endpoints (OTLP, Prometheus, flag SDK, OFREP) under generated requests", () => {
  let project: TestProject;
  let up: RampartUp;
  let world: ProtocolWorld;
  const agent = new Agent({ connections: BATCH, keepAliveTimeout: 30_000, headersTimeout: 10_000, bodyTimeout: 10_000 });

  before(async () => {
    project = await createTestProject({ instances: 1 });
    up = await startRampartUp(project);
    const platform = readCredentials(project.dataDir)?.token ?? assert.fail("no credentials");
    const ingest = readFileSync(join(project.dataDir, "otlp-ingest-token"), "utf8").trim();
    // Flags of every type, with rules on odd attributes (semver, numbers, a regex) and a rollout, so contexts
    // reach every comparison.
    await up.client.createFlag({ key: "checkout" });
    await up.client.createFlag({
      key: "banner",
      type: "string",
      variations: [
        { key: "a", value: "A" },
        { key: "b", value: "B" },
      ],
    });
    await up.client.createFlag({
      key: "limits",
      type: "json",
      variations: [
        { key: "small", value: { max: 1 } },
        { key: "big", value: { max: [1, 2] } },
      ],
    });
    await up.client.createFlag({
      key: "ratio",
      type: "number",
      variations: [
        { key: "low", value: 0.1 },
        { key: "high", value: 1e308 },
      ],
    });
    await up.client.setFlag("checkout", "staging", {
      enabled: true,
      rules: [
        {
          clauses: [
            { attribute: "targetingKey", operator: "starts_with", values: ["a"] },
            { attribute: "version", operator: "semver_gt", values: ["1.2.0"] },
          ],
          serve: { variation: "on" },
        },
        { clauses: [{ attribute: "age", operator: "gte", values: [18] }], serve: { variation: "off" } },
        { clauses: [{ attribute: "email", operator: "matches", values: ["^[a-z0-9.]+@example\\.com$"] }], serve: { variation: "on" } },
        { clauses: [{ attribute: "country", operator: "in", values: ["NL", "DE"] }], serve: { variation: "off" } },
      ],
      fallthrough: { rollout: { by: "userId", percentage: 50, variations: [{ variation: "on", weight: 1 }], outVariation: "off" } },
    });
    await up.client.setFlag("banner", "staging", {
      enabled: true,
      fallthrough: {
        rollout: {
          by: "targetingKey",
          percentage: 100,
          variations: [
            { variation: "a", weight: 1 },
            { variation: "b", weight: 3 },
          ],
          outVariation: "a",
        },
      },
    });
    const sdk = (await up.client.createSdkToken("staging")).token;
    const sdkOther = (await up.client.createSdkToken("production")).token;
    const doc = await (
      await fetch(`${up.client.baseUrl}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${platform}` } })
    ).json();
    const sdkMetrics =
      operationsOf(doc as Parameters<typeof operationsOf>[0]).find((op) => op.path === "/api/v1/flags/sdk/metrics") ??
      assert.fail("no SDK metrics route");
    world = {
      tokens: { platform, ingest, sdk, sdkOther },
      nowMs: Date.now(),
      flagKeys: ["checkout", "banner", "limits", "ratio"],
      sdkMetricsBody: sdkMetrics.body,
    };
  });
  after(async () => {
    await agent.close();
    await killPlatform(project.dataDir, up);
  });

  it(`answers ${REQUESTS} generated requests with no 5xx and an error naming the field for every 4xx`, async (t) => {
    const endpoints = new Map<string, number>();
    const send = (req: ProtocolRequest) => {
      endpoints.set(endpointOf(req), (endpoints.get(endpointOf(req)) ?? 0) + 1);
      return sendRaw(agent, up.client.baseUrl, req);
    };
    const { sent, statuses } = await runGenerated(protocolRequest(world), send, problemWith);
    assert.ok(sent >= REQUESTS, `sent ${sent}`);
    t.diagnostic(`${sent} requests; answers by status: ${statusSummary(statuses)}`);
    t.diagnostic(
      `by endpoint: ${JSON.stringify(Object.fromEntries([...endpoints].filter(([, n]) => n >= 20).sort(([, a], [, b]) => b - a)))}`,
    );
    // The mix must reach the receivers and the evaluator, not only the validators: many answers are 2xx.
    const ok = countOf(statuses, (s) => s < 300);
    assert.ok(ok > REQUESTS / 10, `only ${ok} 2xx answers among ${statusSummary(statuses)}`);
    // The platform is still up and still the same process.
    assert.equal((await up.client.health()).pid, up.pid);
  });
});
