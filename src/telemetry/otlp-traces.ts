import { z } from "zod";
import { attributesToJs, keyValueSchema, nanosToMs, normalizeId, resourceSchema, senderOf, unixNanoSchema } from "./otlp-json.ts";
import type { SpanRecord } from "./trace.types.ts";

const spanSchema = z.looseObject({
  traceId: z.string().regex(/^[0-9a-fA-F]{32}$/, "32 hex digits"),
  spanId: z.string().regex(/^[0-9a-fA-F]{16}$/, "16 hex digits"),
  parentSpanId: z
    .string()
    .regex(/^([0-9a-fA-F]{16})?$/, "16 hex digits or empty")
    .optional(),
  name: z.string(),
  kind: z.number().int().min(0).max(5).optional(),
  startTimeUnixNano: unixNanoSchema,
  endTimeUnixNano: unixNanoSchema,
  attributes: z.array(keyValueSchema).optional(),
  status: z.looseObject({ code: z.number().int().min(0).max(2).optional(), message: z.string().optional() }).optional(),
});

/** ExportTraceServiceRequest, JSON encoding. */
export const exportTraceRequestSchema = z.looseObject({
  resourceSpans: z
    .array(
      z.looseObject({
        resource: resourceSchema,
        scopeSpans: z
          .array(z.looseObject({ scope: z.looseObject({ name: z.string().optional() }).optional(), spans: z.array(spanSchema).optional() }))
          .optional(),
      }),
    )
    .optional(),
});
export type ExportTraceRequest = z.infer<typeof exportTraceRequestSchema>;

export interface OtlpSpans {
  spans: SpanRecord[];
  /** Spans whose sender named no app (neither `rampart.app` nor `service.name`). */
  rejected: number;
}

/** Spans of an app's exporter; its `rampart.*` resource attributes (Rampart injects them) place them. */
export function spansFromOtlp(request: ExportTraceRequest): OtlpSpans {
  const spans: SpanRecord[] = [];
  let rejected = 0;
  for (const rs of request.resourceSpans ?? []) {
    const sender = senderOf(attributesToJs(rs.resource?.attributes));
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        if (sender.app === undefined) {
          rejected++;
          continue;
        }
        const attributes = attributesToJs(span.attributes);
        const startMs = nanosToMs(span.startTimeUnixNano) ?? 0;
        const status = Number(attributes["http.response.status_code"] ?? attributes["http.status_code"]);
        const route = attributes["http.route"];
        spans.push({
          traceId: span.traceId.toLowerCase(),
          spanId: span.spanId.toLowerCase(),
          parentSpanId: normalizeId(span.parentSpanId),
          env: sender.env ?? "",
          app: sender.app,
          release: sender.release,
          instance: sender.instance,
          service: sender.service,
          name: span.name,
          kind: span.kind ?? 0,
          route: typeof route === "string" ? route : null,
          httpStatus: Number.isInteger(status) ? status : null,
          error: span.status?.code === 2,
          startMs,
          durationMs: Math.max(0, (nanosToMs(span.endTimeUnixNano) ?? startMs) - startMs),
          source: "otlp",
          attributes: span.status?.message ? { ...attributes, "status.message": span.status.message } : attributes,
        });
      }
    }
  }
  return { spans, rejected };
}

/** For the benchmark and tests: parse and convert in one step (throws on invalid input). */
export function spansFromOtlpJson(body: unknown): SpanRecord[] {
  return spansFromOtlp(exportTraceRequestSchema.parse(body)).spans;
}
