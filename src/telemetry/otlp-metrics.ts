import { z } from "zod";
import { CumulativeDeltas } from "./metrics-cumulative.ts";
import type { MetricsStore } from "./metrics.store.ts";
import { LABEL_NAME, sanitizeName, seriesKey, type Labels } from "./metrics.types.ts";
import { attributesToJs, keyValueSchema, nanosToMs, resourceSchema, senderOf, unixNanoSchema } from "./otlp-json.ts";

/** OTLP/HTTP JSON metrics (opentelemetry-proto metrics.proto): what Rampart reads of it; unknown fields pass. */
const uint64 = z.union([z.string().regex(/^\d+$/, "an unsigned integer as a decimal string"), z.number().int().nonnegative()]);
const double = z.union([z.number(), z.enum(["NaN", "Infinity", "-Infinity"])]);

const numberPointSchema = z.looseObject({
  attributes: z.array(keyValueSchema).optional(),
  timeUnixNano: unixNanoSchema.optional(),
  asDouble: double.optional(),
  asInt: z.union([z.string().regex(/^-?\d+$/, "an integer as a decimal string"), z.number().int()]).optional(),
});
const histogramPointSchema = z.looseObject({
  attributes: z.array(keyValueSchema).optional(),
  timeUnixNano: unixNanoSchema.optional(),
  count: uint64.optional(),
  sum: double.optional(),
  bucketCounts: z.array(uint64).optional(),
  explicitBounds: z.array(z.number()).optional(),
});
const temporality = z.union([z.literal(0), z.literal(1), z.literal(2)], { error: "expected 1 (delta) or 2 (cumulative)" });

const metricSchema = z.looseObject({
  name: z.string().min(1, { error: "expected a metric name" }),
  unit: z.string().optional(),
  gauge: z.looseObject({ dataPoints: z.array(numberPointSchema).optional() }).optional(),
  sum: z
    .looseObject({
      dataPoints: z.array(numberPointSchema).optional(),
      aggregationTemporality: temporality.optional(),
      isMonotonic: z.boolean().optional(),
    })
    .optional(),
  histogram: z
    .looseObject({ dataPoints: z.array(histogramPointSchema).optional(), aggregationTemporality: temporality.optional() })
    .optional(),
});

export const exportMetricsRequestSchema = z.looseObject({
  resourceMetrics: z
    .array(
      z.looseObject({
        resource: resourceSchema,
        scopeMetrics: z.array(z.looseObject({ metrics: z.array(metricSchema).optional() })).optional(),
      }),
    )
    .optional(),
});
export type ExportMetricsRequest = z.infer<typeof exportMetricsRequestSchema>;

const DELTA = 1;

function toNumber(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  return Number(value);
}

/**
 * Files OTLP metrics into the store. Names are made Prometheus-valid (`http.server.duration` →
 * `http_server_duration`; a monotonic sum gets `_total`), labels are the point's attributes plus where the
 * sender runs (env, app, release, instance from Rampart's resource attributes, and `service`). Cumulative sums
 * and histograms become increases per second; a point older than the in-memory hour is rejected.
 */
export class OtlpMetricsIngest {
  readonly #store: MetricsStore;
  readonly #deltas: CumulativeDeltas;

  constructor(store: MetricsStore) {
    this.#store = store;
    this.#deltas = new CumulativeDeltas(store.maxSeries);
  }

  ingest(request: ExportMetricsRequest, nowMs: number): { accepted: number; rejected: number } {
    let accepted = 0;
    let rejected = 0;
    const nowSec = Math.floor(nowMs / 1000);
    const secOf = (time: string | number | undefined): number | undefined => {
      const ms = nanosToMs(time);
      if (ms === undefined || ms === 0) return nowSec;
      const sec = Math.floor(ms / 1000);
      if (sec > nowSec + 60 || sec <= nowSec - 3600) return undefined;
      return Math.min(sec, nowSec);
    };
    for (const rm of request.resourceMetrics ?? []) {
      const resource = attributesToJs(rm.resource?.attributes);
      const sender = senderOf(resource);
      // Instances of one app share their resource attributes but not their processes: cumulative readings are
      // tracked per process (service.instance.id, or host and pid), so two senders never read as resets of one.
      const senderProcess = [resource["service.instance.id"], resource["rampart.instance"], resource["host.name"], resource["process.pid"]]
        .map((v) => String(v ?? ""))
        .join("/");
      const base: Labels = { service: sender.service };
      if (sender.env) base.env = sender.env;
      if (sender.app) base.app = sender.app;
      if (sender.release !== null) base.release = String(sender.release);
      if (sender.instance) base.instance = sender.instance;
      for (const sm of rm.scopeMetrics ?? []) {
        for (const metric of sm.metrics ?? []) {
          const name = sanitizeName(metric.name);
          const labelsOf = (attributes: Parameters<typeof attributesToJs>[0]): Labels => {
            const labels: Labels = {};
            for (const [k, v] of Object.entries(attributesToJs(attributes)))
              labels[sanitizeName(k, LABEL_NAME)] = typeof v === "string" ? v : JSON.stringify(v);
            return { ...labels, ...base };
          };
          if (metric.gauge || (metric.sum && !metric.sum.isMonotonic)) {
            for (const p of (metric.gauge ?? metric.sum)?.dataPoints ?? []) {
              const sec = secOf(p.timeUnixNano);
              const value = toNumber(p.asDouble ?? p.asInt);
              if (sec === undefined || value === undefined) {
                rejected++;
                continue;
              }
              this.#store.setGauge(name, labelsOf(p.attributes), sec, value);
              accepted++;
            }
          } else if (metric.sum) {
            const counter = name.endsWith("_total") ? name : `${name}_total`;
            for (const p of metric.sum.dataPoints ?? []) {
              const sec = secOf(p.timeUnixNano);
              const value = toNumber(p.asDouble ?? p.asInt);
              if (sec === undefined || value === undefined) {
                rejected++;
                continue;
              }
              const labels = labelsOf(p.attributes);
              const increase =
                metric.sum.aggregationTemporality === DELTA
                  ? value
                  : (this.#deltas.delta(`${senderProcess}|${seriesKey(counter, labels)}`, [value])[0] ?? 0);
              this.#store.addCounter(counter, labels, sec, increase);
              accepted++;
            }
          } else if (metric.histogram) {
            for (const p of metric.histogram.dataPoints ?? []) {
              const sec = secOf(p.timeUnixNano);
              const bounds = [...(p.explicitBounds ?? []), Infinity];
              const counts = (p.bucketCounts ?? []).map((c) => Number(c));
              if (sec === undefined || counts.length !== bounds.length) {
                rejected++;
                continue;
              }
              const labels = labelsOf(p.attributes);
              const values = [toNumber(p.count) ?? counts.reduce((a, b) => a + b, 0), toNumber(p.sum) ?? 0, ...counts];
              const d =
                metric.histogram.aggregationTemporality === DELTA
                  ? values
                  : this.#deltas.delta(`${senderProcess}|${seriesKey(name, labels)}|${bounds.join(",")}`, values);
              this.#store.addHistogram(name, labels, bounds, sec, d[0] ?? 0, d[1] ?? 0, d.slice(2));
              accepted++;
            }
          }
        }
      }
    }
    return { accepted, rejected };
  }
}
