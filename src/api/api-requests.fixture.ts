import fc from "fast-check";

/**
 * Generated requests for every operation the OpenAPI document lists: real and nonsense path parameters, declared
 * and undeclared query keys with values of every kind, bodies that are almost right, wrong in type, not JSON at
 * all or sent as another content type, with and without the token.
 */

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  maximum?: number;
  minimum?: number;
};

export interface Operation {
  method: string;
  /** OpenAPI path, e.g. /api/v1/envs/{env}/apps/{app}/releases */
  path: string;
  pathParams: { name: string; schema: JsonSchema }[];
  queryParams: { name: string; schema: JsonSchema }[];
  body: JsonSchema | null;
  stream: boolean;
}

export interface GeneratedRequest {
  operation: Operation;
  method: string;
  params: Record<string, string>;
  /** The raw query string (without "?"). */
  query: string;
  /** The raw body and its content type, or none. */
  body: { text: string; contentType: string | null } | null;
  auth: "token" | "none" | "wrong";
}

type OpenApiDocument = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string; schema: JsonSchema }[];
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
        responses?: Record<string, { content?: Record<string, unknown> }>;
      }
    >
  >;
};

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const parameters = op.parameters ?? [];
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === "path").map((p) => ({ name: p.name, schema: p.schema })),
        queryParams: parameters.filter((p) => p.in === "query").map((p) => ({ name: p.name, schema: p.schema })),
        body: op.requestBody?.content["application/json"]?.schema ?? null,
        stream: Object.values(op.responses ?? {}).some((r) => r.content?.["text/event-stream"] !== undefined),
      });
    }
  }
  return operations;
}

export const ODD_TEXT = [
  "",
  " ",
  "0",
  "-1",
  "1",
  "2",
  "1.5",
  "1e3",
  "1e400",
  "0x10",
  "NaN",
  "Infinity",
  "null",
  "true",
  "[]",
  "{}",
  "%00",
  "..",
  "../..",
  "%2e%2e",
  "a/b",
  "é",
  "😀",
  "\u0000",
  "x".repeat(250),
  "9".repeat(30),
  "<script>",
  "'; drop table events; --",
  "__proto__",
  "constructor",
];

export const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ODD_TEXT) },
  { weight: 2, arbitrary: fc.string({ maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
);

export const anyJson = fc.jsonValue({ maxDepth: 3 });

/** A value for one JSON-schema property: mostly of the right kind (so deeper checks run), often not. */
function valueFor(schema: JsonSchema): fc.Arbitrary<unknown> {
  const right: fc.Arbitrary<unknown>[] = [];
  if (schema.enum) right.push(fc.constantFrom(...schema.enum));
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.includes("string")) right.push(text, fc.constantFrom("staging", "production", "web", "./web", "/", "rolling", "canary"));
  if (types.includes("integer") || types.includes("number"))
    right.push(fc.integer({ min: -5, max: 20 }), fc.constantFrom(0, 1, 2 ** 31, 2 ** 53 + 2, -0, 1.5, 1e308));
  if (types.includes("boolean")) right.push(fc.boolean());
  if (types.includes("array") && schema.items) right.push(fc.array(valueFor(schema.items), { maxLength: 3 }));
  return right.length === 0 ? anyJson : fc.oneof({ weight: 3, arbitrary: fc.oneof(...right) }, { weight: 1, arbitrary: anyJson });
}

export function bodyFor(schema: JsonSchema | null): fc.Arbitrary<GeneratedRequest["body"]> {
  const props = Object.entries(schema?.properties ?? {});
  const shaped = fc
    .tuple(
      fc.record(Object.fromEntries(props.map(([name, s]) => [name, valueFor(s)])), { requiredKeys: [] }),
      fc.dictionary(fc.oneof(text, fc.constantFrom("stopApps", "source", "strategy", "to", "from", "force", "reason")), anyJson, {
        maxKeys: 2,
      }),
      fc.integer({ min: 0, max: 3 }),
    )
    .map(([known, extra, mode]) => (mode === 0 ? { ...known, ...extra } : known));
  const json = (value: fc.Arbitrary<unknown>) => value.map((v) => ({ text: JSON.stringify(v) ?? "null", contentType: "application/json" }));
  return fc.oneof(
    { weight: 6, arbitrary: json(shaped) },
    { weight: 2, arbitrary: json(anyJson) },
    {
      weight: 1,
      arbitrary: fc.record({
        text: fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.constantFrom("{", '{"a":', "[1,", "nul", '"unterminated', '{"__proto__": {"x": 1}}', "1e99999", '{"reason": "\\ud800"}'),
        ),
        contentType: fc.constant("application/json"),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        text: fc.string({ maxLength: 20 }),
        contentType: fc.constantFrom(
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "application/json; charset=latin1",
          "application/xml",
          "",
        ),
      }),
    },
    { weight: 1, arbitrary: fc.constant(null) },
  );
}

function queryFor(op: Operation): fc.Arbitrary<string> {
  const pair = fc.tuple(
    fc.oneof(
      { weight: 4, arbitrary: op.queryParams.length > 0 ? fc.constantFrom(...op.queryParams.map((p) => p.name)) : text },
      { weight: 1, arbitrary: text },
    ),
    fc.oneof(
      text,
      fc.integer({ min: -10, max: 100_000 }).map(String),
      fc.constantFrom("", "0", "1", "10001", "100001", "1.5", "release.", "instance.crashed"),
    ),
  );
  return fc
    .array(pair, { maxLength: 4 })
    .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&"));
}

/** Real values first (so requests get past routing and validation into the services), then anything. */
function paramFor(schema: JsonSchema, real: readonly string[]): fc.Arbitrary<string> {
  const known = [...real, ...((schema.enum ?? []) as string[])];
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...(known.length > 0 ? known : ["x"])) }, { weight: 2, arbitrary: text });
}

export function requestFor(operations: Operation[], real: Record<string, readonly string[]>): fc.Arbitrary<GeneratedRequest> {
  return fc.constantFrom(...operations).chain((op) =>
    fc.record({
      operation: fc.constant(op),
      // Now and then the wrong method on a known path.
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constant(op.method) },
        { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH") },
      ),
      params: fc.record(Object.fromEntries(op.pathParams.map((p) => [p.name, paramFor(p.schema, real[p.name] ?? [])]))) as fc.Arbitrary<
        Record<string, string>
      >,
      query: queryFor(op),
      body: op.body ? bodyFor(op.body) : fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: bodyFor(null) }),
      auth: fc.oneof(
        { weight: 18, arbitrary: fc.constant("token" as const) },
        { weight: 1, arbitrary: fc.constantFrom("none" as const, "wrong" as const) },
      ),
    }),
  );
}

export function urlOf(request: GeneratedRequest): string {
  const path = request.operation.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(request.params[name] ?? ""));
  return request.query === "" ? path : `${path}?${request.query}`;
}
