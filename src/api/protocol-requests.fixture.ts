import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { anyJson, bodyFor, text } from "./api-requests.fixture.ts";
import { manyTimes, oddValue, spoiledJson, spoiledProtobuf, toProtobuf, validOtlp, type Signal } from "./otlp-bodies.fixture.ts";
import type { RawRequest } from "./property-harness.fixture.ts";

/**
 * Generated requests for the endpoints the protocol plugins serve (not in the OpenAPI document): OTLP/HTTP
 * traces, logs and metrics in JSON and protobuf, Prometheus `/metrics`, the flag SDK's snapshot (If-None-Match),
 * stream and metrics, and OFREP single and bulk evaluation. Mostly almost right, so the validators and the
 * handlers behind them run; with the right token, another environment's, another kind's, a wrong one or none.
 */

export interface Tokens {
  platform: string;
  ingest: string;
  /** SDK tokens for staging and for production. */
  sdk: string;
  sdkOther: string;
}

/** Which answers the endpoint gives, hence how the test checks them. */
export type Expect = "otlp" | "ofrep" | "snapshot" | "stream" | "prometheus" | "envelope";

export interface ProtocolRequest extends RawRequest {
  expect: Expect;
  /** Which credential was sent, for failure messages. */
  auth: string;
}

export interface ProtocolWorld {
  tokens: Tokens;
  nowMs: number;
  /** Flags that exist (so OFREP reaches evaluation), and the JSON schema of the SDK metrics body. */
  flagKeys: readonly string[];
  sdkMetricsBody: Parameters<typeof bodyFor>[0];
}

const JSON_TYPE = "application/json";
const PROTOBUF = "application/x-protobuf";
// Header values must be visible ASCII (undici refuses the rest before sending).
const headerText = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "*",
    '"1"',
    'W/"1"',
    '"1", "2"',
    '"0"',
    '"-1"',
    '"999999999999999999999"',
    "W/",
    '"',
    '""',
    ",,,",
    'W/"1-abc"',
    "x".repeat(500),
  ),
  fc.stringMatching(/^[\x20-\x7e]{0,40}$/),
);

function authFor(right: [string, string][], tokens: Tokens): fc.Arbitrary<[string, string | undefined]> {
  const wrong: [string, string | undefined][] = [
    ["none", undefined],
    ["empty", "Bearer "],
    ["basic", "Basic dXNlcjpwYXNz"],
    ["lowercase", `bearer ${right[0]![1]}`],
    ["truncated", `Bearer ${right[0]![1].slice(0, -1)}`],
    ["unknown-sdk", `Bearer rsdk_staging_${"0".repeat(32)}`],
    ["bare-sdk-prefix", "Bearer rsdk_"],
    ["platform", `Bearer ${tokens.platform}`],
    ["ingest", `Bearer ${tokens.ingest}`],
    ["sdk", `Bearer ${tokens.sdk}`],
  ];
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...right.map(([name, token]) => [name, `Bearer ${token}`] as [string, string])) },
    { weight: 2, arbitrary: fc.constantFrom(...wrong) },
    { weight: 1, arbitrary: headerText.map((h) => ["odd", h] as [string, string]) },
  );
}

/** Now and then another method than the endpoint's (a 404 in our envelope), or junk in the query string. */
const otherMethod = fc.oneof(
  { weight: 15, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "POST") },
);
const query = fc.oneof(
  { weight: 8, arbitrary: fc.constant("") },
  { weight: 1, arbitrary: fc.tuple(text, text).map(([k, v]) => `?${encodeURIComponent(k)}=${encodeURIComponent(v)}`) },
);

function request(
  base: { method: string; path: string; expect: Expect },
  auth: [string, string | undefined],
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
  method: string | undefined,
  q: string,
): ProtocolRequest {
  const all = { ...headers };
  if (auth[1] !== undefined) all.authorization = auth[1];
  const m = method ?? base.method;
  // Another method than the route's lands in the not-found handler: our envelope, whatever the path.
  return {
    method: m,
    url: `${base.path}${q}`,
    headers: all,
    body: m === "GET" ? undefined : body,
    expect: m === base.method ? base.expect : "envelope",
    auth: auth[0],
  };
}

function otlpRequest(signal: Signal, world: ProtocolWorld): fc.Arbitrary<ProtocolRequest> {
  const valid = validOtlp(signal, world.nowMs);
  const asJson = (value: fc.Arbitrary<unknown>) =>
    value.map((v) => ({ body: JSON.stringify(v) ?? "null", type: JSON_TYPE as string | undefined }));
  const body = fc.oneof(
    { weight: 3, arbitrary: asJson(valid) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(manyTimes(valid), fc.boolean())
        .map(([v, protobuf]) =>
          protobuf
            ? { body: toProtobuf(signal, v) as string | Uint8Array, type: PROTOBUF as string | undefined }
            : { body: JSON.stringify(v) as string | Uint8Array, type: JSON_TYPE as string | undefined },
        ),
    },
    { weight: 6, arbitrary: asJson(spoiledJson(valid)) },
    {
      weight: 3,
      arbitrary: spoiledProtobuf(signal, valid).map((b) => ({ body: b as string | Uint8Array, type: PROTOBUF as string | undefined })),
    },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ body: b as string | Uint8Array, type: PROTOBUF as string | undefined })),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        body: fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.constantFrom("", "{", '{"resourceSpans":', "[]", "null", "1e99999", '{"__proto__":{"x":1}}', '{"resourceLogs":"\\ud800"}'),
        ),
        type: fc.constant(JSON_TYPE),
      }),
    },
    // The right body under the wrong content type, and bodies with none or another.
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          valid,
          fc.constantFrom(
            undefined,
            "",
            "text/plain",
            "application/grpc",
            "application/protobuf",
            "application/x-www-form-urlencoded",
            "application/json; charset=utf-16",
            "APPLICATION/JSON",
            `${PROTOBUF}; proto=x`,
            "multipart/form-data; boundary=x",
          ),
        )
        .map(([v, type]) => ({ body: JSON.stringify(v) as string | Uint8Array, type })),
    },
    { weight: 1, arbitrary: asJson(valid).map((b) => ({ ...b, type: PROTOBUF })) },
  );
  const auth = authFor(
    [
      ["ingest", world.tokens.ingest],
      ["platform", world.tokens.platform],
    ],
    world.tokens,
  );
  // Exporters may compress: a gzipped body with its Content-Encoding, or a header that does not match the body.
  const encoding = fc.oneof(
    { weight: 12, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom("gzip", "gzip!", "deflate", "br", "identity", "x") },
  );
  return fc.tuple(body, auth, encoding, otherMethod, query).map(([b, a, enc, m, q]) => {
    const headers: Record<string, string> = b.type === undefined ? {} : { "content-type": b.type };
    if (enc !== undefined) headers["content-encoding"] = enc.replace("!", "");
    const payload = enc === "gzip" && b.body !== undefined ? gzipSync(b.body) : b.body;
    return request({ method: "POST", path: `/v1/${signal}`, expect: "otlp" }, a, headers, payload, m, q);
  });
}

/** OFREP's `{ context }`, with odd attribute values: nested, arrays, nulls, long, unicode; often no targetingKey. */
function ofrepBody(): fc.Arbitrary<{ body: string | undefined; type: string | undefined }> {
  const semver = fc.constantFrom("1.2.3", "1.2.0", "2.0.0-beta.1+build", "1.2", "v1.2.3", "99999999999999999999.0.0", "1..2", "");
  const attrValue = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.oneof(
        text,
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        semver,
        fc.constantFrom("a-user", "user@example.com", "NL", "18", "NaN"),
      ),
    },
    { weight: 1, arbitrary: oddValue },
    { weight: 1, arbitrary: anyJson },
  );
  const attrName = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom("targetingKey", "userId", "version", "age", "email", "country", "plan") },
    { weight: 1, arbitrary: fc.oneof(text, fc.constantFrom("__proto__", "constructor", "toString", "")) },
  );
  const context = fc.dictionary(attrName, attrValue, { maxKeys: 6 });
  const json = (v: fc.Arbitrary<unknown>) => v.map((x) => ({ body: JSON.stringify(x) ?? "null", type: JSON_TYPE as string | undefined }));
  return fc.oneof(
    { weight: 8, arbitrary: json(context.map((c) => ({ context: c }))) },
    { weight: 1, arbitrary: json(fc.record({ context: fc.oneof(oddValue, anyJson) })) },
    { weight: 1, arbitrary: json(fc.oneof(anyJson, context, fc.record({ context, extra: anyJson }))) },
    {
      weight: 1,
      arbitrary: fc.record({
        body: fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.constantFrom("", "{", '{"context":', '{"context":{"__proto__":{"x":1}}}', '{"context":"\\ud800"}'),
        ),
        type: fc.constantFrom<string | undefined>(JSON_TYPE, "text/plain", undefined, "application/xml", PROTOBUF),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ body: undefined, type: undefined }) },
  );
}

function ofrepRequest(world: ProtocolWorld): fc.Arbitrary<ProtocolRequest> {
  // Not "." or "..": the URL parser would resolve them to another path, outside OFREP.
  const key = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...world.flagKeys, "no-such-flag") },
    { weight: 1, arbitrary: text.filter((t) => t !== "" && t !== "." && t !== "..") },
  );
  const path = fc.oneof(
    { weight: 3, arbitrary: key.map((k) => `/ofrep/v1/evaluate/flags/${encodeURIComponent(k)}`) },
    { weight: 2, arbitrary: fc.constant("/ofrep/v1/evaluate/flags") },
  );
  const ifNoneMatch = fc.option(headerText, { freq: 3 });
  const auth = authFor(
    [
      ["sdk", world.tokens.sdk],
      ["sdk-other-env", world.tokens.sdkOther],
    ],
    world.tokens,
  );
  return fc.tuple(path, ofrepBody(), ifNoneMatch, auth, otherMethod, query).map(([p, b, inm, a, m, q]) => {
    const headers: Record<string, string> = {};
    if (b.type !== undefined) headers["content-type"] = b.type;
    if (inm !== null) headers["if-none-match"] = inm;
    return request({ method: "POST", path: p, expect: "ofrep" }, a, headers, b.body, m, q);
  });
}

function sdkRequest(world: ProtocolWorld): fc.Arbitrary<ProtocolRequest> {
  const auth = authFor(
    [
      ["sdk", world.tokens.sdk],
      ["sdk-other-env", world.tokens.sdkOther],
    ],
    world.tokens,
  );
  const snapshot = fc
    .tuple(fc.option(headerText, { freq: 2 }), auth, otherMethod, query)
    .map(([inm, a, m, q]) =>
      request(
        { method: "GET", path: "/api/v1/flags/sdk/snapshot", expect: "snapshot" },
        a,
        inm === null ? {} : { "if-none-match": inm },
        undefined,
        m,
        q,
      ),
    );
  const stream = fc
    .tuple(auth, fc.option(fc.constantFrom("0", "1", "-1", "abc", "9".repeat(30)), { freq: 3 }), otherMethod, query)
    .map(([a, lastId, m, q]) =>
      request(
        { method: "GET", path: "/api/v1/flags/sdk/stream", expect: "stream" },
        a,
        lastId === null ? {} : { "last-event-id": lastId },
        undefined,
        m,
        q,
      ),
    );
  // Counts as an SDK sends them, with odd values now and then; and bodies generated from the route's schema.
  const count = fc.record({
    flag: fc.oneof(fc.constantFrom(...world.flagKeys, "no-such-flag"), text),
    variation: fc.oneof(fc.constantFrom("on", "off", "a", "b", "small"), text),
    count: fc.oneof(fc.nat(1000), fc.constantFrom(0, -1, 1e12, 1e12 + 1, 2 ** 53, 1.5)),
  });
  const counts = fc.record({
    fromMs: fc.oneof(fc.constant(world.nowMs - 60_000), fc.constantFrom(0, -1, 1.5, 2 ** 53, 1e308)),
    toMs: fc.oneof(fc.constant(world.nowMs), fc.constantFrom(0, -1, 2 ** 53)),
    counts: fc.oneof(
      fc.array(count, { maxLength: 5 }),
      fc.tuple(count, fc.integer({ min: 100, max: 10_001 })).map(([c, n]) => Array.from({ length: n }, () => c)),
    ),
  });
  const metricsBody = fc.oneof(
    bodyFor(world.sdkMetricsBody),
    counts.map((c) => ({ text: JSON.stringify(c), contentType: JSON_TYPE as string | null })),
  );
  const metrics = fc
    .tuple(metricsBody, auth, otherMethod, query)
    .map(([b, a, m, q]) =>
      request(
        { method: "POST", path: "/api/v1/flags/sdk/metrics", expect: "envelope" },
        a,
        b?.contentType ? { "content-type": b.contentType } : {},
        b?.text,
        m,
        q,
      ),
    );
  return fc.oneof({ weight: 3, arbitrary: snapshot }, { weight: 1, arbitrary: stream }, { weight: 3, arbitrary: metrics });
}

function prometheusRequest(world: ProtocolWorld): fc.Arbitrary<ProtocolRequest> {
  const accept = fc.constantFrom<string | undefined>(
    undefined,
    "text/plain",
    "application/openmetrics-text; version=1.0.0",
    "*/*",
    "application/json",
  );
  return fc
    .tuple(authFor([["platform", world.tokens.platform]], world.tokens), accept, otherMethod, query)
    .map(([a, acc, m, q]) =>
      request({ method: "GET", path: "/metrics", expect: "prometheus" }, a, acc === undefined ? {} : { accept: acc }, undefined, m, q),
    );
}

export function protocolRequest(world: ProtocolWorld): fc.Arbitrary<ProtocolRequest> {
  return fc.oneof(
    { weight: 4, arbitrary: otlpRequest("traces", world) },
    { weight: 4, arbitrary: otlpRequest("logs", world) },
    { weight: 4, arbitrary: otlpRequest("metrics", world) },
    { weight: 6, arbitrary: ofrepRequest(world) },
    { weight: 3, arbitrary: sdkRequest(world) },
    { weight: 1, arbitrary: prometheusRequest(world) },
  );
}
