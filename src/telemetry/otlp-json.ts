import { z } from "zod";

/**
 * The parts of OTLP/HTTP JSON shared by logs and traces (opentelemetry-proto, JSON encoding): lowerCamelCase keys,
 * hex ids, integer enums, 64-bit integers as strings or numbers. Unknown fields are ignored, as the spec asks.
 */

export interface AnyValueJson {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: AnyValueJson[] };
  kvlistValue?: { values?: KeyValueJson[] };
}
export interface KeyValueJson {
  key: string;
  value?: AnyValueJson;
}

export const anyValueSchema: z.ZodType<AnyValueJson> = z.lazy(() =>
  z.looseObject({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: z.union([z.string().regex(/^-?\d+$/, "an integer as a decimal string"), z.number().int()]).optional(),
    doubleValue: z.number().optional(),
    bytesValue: z.string().optional(),
    arrayValue: z.looseObject({ values: z.array(anyValueSchema).optional() }).optional(),
    kvlistValue: z.looseObject({ values: z.array(keyValueSchema).optional() }).optional(),
  }),
);
export const keyValueSchema: z.ZodType<KeyValueJson> = z.lazy(() => z.looseObject({ key: z.string(), value: anyValueSchema.optional() }));

export const resourceSchema = z.looseObject({ attributes: z.array(keyValueSchema).optional() }).optional();

/** Nanoseconds since the epoch as OTLP JSON writes them (a decimal string, or a number) → epoch ms. */
export const unixNanoSchema = z.union([
  z.string().regex(/^\d+$/, "nanoseconds since the epoch as a decimal string"),
  z.number().nonnegative(),
]);

export function nanosToMs(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") return value / 1e6;
  // Split instead of Number(): nanoseconds overflow a double's exact range, milliseconds with a fraction do not.
  if (value.length <= 6) return Number(value) / 1e6;
  return Number(value.slice(0, -6)) + Number(value.slice(-6)) / 1e6;
}

export function anyValueToJs(value: AnyValueJson | undefined): unknown {
  if (value === undefined) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(anyValueToJs);
  if (value.kvlistValue !== undefined) return attributesToJs(value.kvlistValue.values);
  return null;
}

export function attributesToJs(attributes: readonly KeyValueJson[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of attributes ?? []) out[kv.key] = anyValueToJs(kv.value);
  return out;
}

/** Where a sender runs: the `rampart.*` resource attributes Rampart injects, else `service.name` for the app. */
export interface SenderIdentity {
  env: string | undefined;
  app: string | undefined;
  release: number | null;
  instance: string | null;
  service: string;
}

export function senderOf(resource: Record<string, unknown>): SenderIdentity {
  const str = (key: string) => (typeof resource[key] === "string" && resource[key] !== "" ? (resource[key] as string) : undefined);
  const release = Number(resource["rampart.release"]);
  return {
    env: str("rampart.env"),
    app: str("rampart.app") ?? str("service.name"),
    release: Number.isInteger(release) && release > 0 ? release : null,
    instance: str("rampart.instance") ?? null,
    service: str("service.name") ?? "unknown_service",
  };
}

/** OTLP ids are hex in JSON; some senders use upper case, an all-zero parent means none. */
export function normalizeId(id: string | undefined): string | null {
  if (id === undefined || id === "" || /^0+$/.test(id)) return null;
  return id.toLowerCase();
}

/**
 * The nesting depth of a parsed JSON body, checked before schema validation: zod's recursive schemas use the stack
 * per level, and a few hundred levels of nested arrayValue already overflow it (a 500 for bad input). Iterative.
 */
export function jsonDepthOver(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item !== "object" || item === null) continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item))
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}
