import type { MetricsStore } from "./metrics.store.ts";
import { seriesKey, type Labels } from "./metrics.types.ts";
import type { ParsedExposition, ParsedSample } from "./prometheus-parser.ts";

/**
 * Files one scrape into the store with the instance's labels added (they win over the app's own labels of
 * the same name, which Prometheus would rename to exported_*). Counters and histogram/summary counts are
 * cumulative in the exposition and become per-second increases; gauges, untyped and summary quantiles are
 * stored as gauges.
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
  const familyOf = (sample: ParsedSample): { base: string; type: string; suffix: string } => {
    const direct = parsed.types.get(sample.name);
    if (direct) return { base: sample.name, type: direct, suffix: "" };
    for (const suffix of ["_bucket", "_sum", "_count"]) {
      if (!sample.name.endsWith(suffix)) continue;
      const base = sample.name.slice(0, -suffix.length);
      const type = parsed.types.get(base);
      if (type === "histogram" || type === "summary") return { base, type, suffix };
    }
    return { base: sample.name, type: "untyped", suffix: "" };
  };
  for (const sample of parsed.samples) {
    const labels: Labels = { ...sample.labels, ...target };
    const family = familyOf(sample);
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
