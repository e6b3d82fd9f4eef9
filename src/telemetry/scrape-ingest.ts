import type { MetricsStore } from "./metrics.store.ts";
import { seriesKey, type Labels } from "./metrics.types.ts";
import type { ParsedExposition, ParsedSample, ParsedType } from "./prometheus-parser.ts";

/**
 * Files one scrape into the store with the instance's labels added (they win over the app's own labels of
 * the same name, which Prometheus would rename to exported_*). Counters and histogram/summary counts are
 * cumulative in the exposition and become per-second increases; gauges, untyped and summary quantiles are
 * stored as gauges. Samples are stored under their own names whichever format declared them (a counter is
 * `x_total` from `# TYPE x_total counter` in 0.0.4 and from `# TYPE x counter` in OpenMetrics), so both
 * formats give the same series. `_created` samples (a family's creation time, a timestamp rather than a
 * measurement: OpenMetrics puts them in the family, the Python client's 0.0.4 output declares them as
 * gauges of their own) are not stored, as Prometheus does by default.
 */
/** `delta` is CumulativeDeltas.delta (per target), so a target's readings never mix with another's. */
export function ingestScrape(
  store: MetricsStore,
  delta: (key: string, values: number[]) => number[],
  parsed: ParsedExposition,
  target: Labels,
  sec: number,
): number {
  let stored = 0;
  const histograms = new Map<string, { name: string; labels: Labels; buckets: [number, number][]; sum?: number; count?: number }>();
  for (const sample of parsed.samples) {
    const family = familyOf(parsed.types, sample);
    if (family.suffix === "_created" || isCreatedGauge(parsed.types, sample.name)) continue;
    const labels: Labels = { ...sample.labels, ...target };
    if (family.type === "histogram") {
      const { le, ...rest } = labels;
      const key = seriesKey(family.base, rest);
      let h = histograms.get(key);
      if (!h) histograms.set(key, (h = { name: family.base, labels: rest, buckets: [] }));
      if (family.suffix === "_bucket" && le !== undefined) h.buckets.push([le === "+Inf" ? Infinity : Number(le), sample.value]);
      else if (family.suffix === "_sum") h.sum = sample.value;
      else if (family.suffix === "_count") h.count = sample.value;
      continue;
    }
    if (family.type === "counter" || (family.type === "summary" && family.suffix !== "")) {
      const [increase] = delta(seriesKey(sample.name, labels), [sample.value]);
      store.addCounter(sample.name, labels, sec, increase ?? 0);
    } else {
      store.setGauge(sample.name, labels, sec, sample.value);
    }
    stored++;
  }
  for (const h of histograms.values()) {
    h.buckets.sort((a, b) => a[0] - b[0]);
    if (h.buckets.length === 0 || h.buckets[h.buckets.length - 1]?.[0] !== Infinity) continue;
    const bounds = h.buckets.map(([b]) => b);
    // Cumulative `le` counts → per bucket, then this scrape's increase of each (plus sum and count).
    const perBucket = h.buckets.map(([, c], i) => c - (i === 0 ? 0 : (h.buckets[i - 1]?.[1] ?? 0)));
    const count = h.count ?? h.buckets[h.buckets.length - 1]?.[1] ?? 0;
    const d = delta(`${seriesKey(h.name, h.labels)}|${bounds.join(",")}`, [count, h.sum ?? 0, ...perBucket]);
    store.addHistogram(h.name, h.labels, bounds, sec, d[0] ?? 0, d[1] ?? 0, d.slice(2));
    stored++;
  }
  return stored;
}

const SUFFIXES: Record<string, readonly string[]> = {
  counter: ["_total", "_created"],
  histogram: ["_bucket", "_sum", "_count", "_created"],
  summary: ["_sum", "_count", "_created"],
};

/** The family a sample belongs to: declared under its own name (0.0.4), or under its name less a suffix (OpenMetrics). */
function familyOf(types: ReadonlyMap<string, ParsedType>, sample: ParsedSample): { base: string; type: ParsedType; suffix: string } {
  const direct = types.get(sample.name);
  if (direct) return { base: sample.name, type: direct, suffix: "" };
  const cut = sample.name.lastIndexOf("_");
  if (cut > 0) {
    const base = sample.name.slice(0, cut);
    const suffix = sample.name.slice(cut);
    const type = types.get(base);
    if (type !== undefined && SUFFIXES[type]?.includes(suffix)) return { base, type, suffix };
  }
  return { base: sample.name, type: "untyped", suffix: "" };
}

/** 0.0.4 from the Python client: `# TYPE jobs_created gauge` beside `# TYPE jobs_total counter` (or a histogram `jobs`). */
function isCreatedGauge(types: ReadonlyMap<string, ParsedType>, name: string): boolean {
  if (!name.endsWith("_created")) return false;
  const base = name.slice(0, -"_created".length);
  const type = types.get(base);
  return types.get(`${base}_total`) === "counter" || type === "counter" || type === "histogram" || type === "summary";
}
