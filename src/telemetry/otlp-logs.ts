import { z } from "zod";
import {
  anyValueSchema,
  anyValueToJs,
  attributesToJs,
  keyValueSchema,
  nanosToMs,
  normalizeId,
  resourceSchema,
  senderOf,
  unixNanoSchema,
} from "./otlp-json.ts";
import { LOG_LEVELS, levelFromName, levelName, type IngestLine } from "./log-record.ts";

const logRecordSchema = z.looseObject({
  timeUnixNano: unixNanoSchema.optional(),
  observedTimeUnixNano: unixNanoSchema.optional(),
  severityNumber: z.number().int().min(0).max(24).optional(),
  severityText: z.string().optional(),
  body: anyValueSchema.optional(),
  attributes: z.array(keyValueSchema).optional(),
  traceId: z.string().optional(),
  spanId: z.string().optional(),
});

/** ExportLogsServiceRequest, JSON encoding. */
export const exportLogsRequestSchema = z.looseObject({
  resourceLogs: z
    .array(
      z.looseObject({
        resource: resourceSchema,
        scopeLogs: z.array(z.looseObject({ logRecords: z.array(logRecordSchema).optional() })).optional(),
      }),
    )
    .optional(),
});
export type ExportLogsRequest = z.infer<typeof exportLogsRequestSchema>;

const BY_SEVERITY = [LOG_LEVELS.trace, LOG_LEVELS.debug, LOG_LEVELS.info, LOG_LEVELS.warn, LOG_LEVELS.error, LOG_LEVELS.fatal];

/** OTLP severity numbers come in fours (1-4 TRACE … 21-24 FATAL). */
export function levelOfSeverity(severityNumber: number | undefined, severityText: string | undefined): number {
  if (severityNumber !== undefined && severityNumber > 0) return BY_SEVERITY[Math.floor((severityNumber - 1) / 4)] ?? LOG_LEVELS.info;
  return (severityText === undefined ? undefined : levelFromName(severityText)) ?? LOG_LEVELS.info;
}

/**
 * Log records of an app's OTLP exporter as lines of stream "otlp". A record with attributes or a trace id is
 * stored as a JSON line (`msg` plus the attributes), so its fields show and search like a pino line's.
 * Records whose sender names no environment and app (`rampart.env`, `rampart.app`) cannot be placed: rejected.
 */
export function linesFromOtlp(request: ExportLogsRequest, now: number): { lines: IngestLine[]; rejected: number } {
  const lines: IngestLine[] = [];
  let rejected = 0;
  for (const rl of request.resourceLogs ?? []) {
    const sender = senderOf(attributesToJs(rl.resource?.attributes));
    for (const sl of rl.scopeLogs ?? []) {
      for (const record of sl.logRecords ?? []) {
        if (sender.env === undefined || sender.app === undefined) {
          rejected++;
          continue;
        }
        const level = levelOfSeverity(record.severityNumber, record.severityText);
        const body = anyValueToJs(record.body);
        const message = typeof body === "string" ? body : JSON.stringify(body);
        const attributes = attributesToJs(record.attributes);
        const traceId = normalizeId(record.traceId);
        const spanId = normalizeId(record.spanId);
        const structured = Object.keys(attributes).length > 0 || traceId !== null;
        const text = structured
          ? JSON.stringify({
              level: levelName(level),
              msg: message,
              ...attributes,
              ...(traceId ? { trace_id: traceId } : {}),
              ...(spanId ? { span_id: spanId } : {}),
            })
          : message;
        lines.push({
          labels: {
            env: sender.env,
            app: sender.app,
            release: sender.release ?? 0,
            instance: sender.instance ?? sender.service,
            stream: "otlp",
          },
          time: Math.floor(nanosToMs(record.timeUnixNano) || nanosToMs(record.observedTimeUnixNano) || now),
          level,
          text,
        });
      }
    }
  }
  return { lines, rejected };
}
