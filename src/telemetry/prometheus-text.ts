/**
 * Prometheus text exposition format 0.0.4: `# HELP` and `# TYPE` per family, each family's samples
 * contiguous, histograms as cumulative `_bucket{le}` lines ending with +Inf (equal to `_count`), then `_sum`
 * and `_count`, a final newline.
 */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type FamilyType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface ScalarSample {
  labels: Record<string, string>;
  value: number;
}

export interface HistogramSample {
  labels: Record<string, string>;
  bounds: readonly number[];
  /** Per bucket (not cumulative), aligned with bounds (the last bound is +Inf). */
  buckets: ArrayLike<number>;
  sum: number;
  count: number;
}

export type MetricFamily =
  | { name: string; help: string; type: "counter" | "gauge" | "untyped"; samples: ScalarSample[] }
  | { name: string; help: string; type: "histogram"; samples: HistogramSample[] };

export function escapeLabelValue(value: string): string {
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/** `a="1",b="2"` without braces, so a histogram's bucket lines reuse it with `le` appended. */
function labelBody(labels: Record<string, string>): string {
  let body = "";
  for (const k in labels) body += `${body === "" ? "" : ","}${k}="${escapeLabelValue(labels[k] as string)}"`;
  return body;
}

export function renderFamilies(families: MetricFamily[]): string {
  const out: string[] = [];
  for (const family of families) {
    out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    if (family.type !== "histogram") {
      for (const s of family.samples) {
        const body = labelBody(s.labels);
        out.push(`${family.name}${body === "" ? "" : `{${body}}`} ${formatValue(s.value)}`);
      }
      continue;
    }
    for (const s of family.samples) {
      const body = labelBody(s.labels);
      const braces = body === "" ? "" : `{${body}}`;
      const bucketPrefix = `${family.name}_bucket{${body}${body === "" ? "" : ","}le="`;
      let cumulative = 0;
      for (let i = 0; i < s.bounds.length; i++) {
        cumulative += (s.buckets[i] as number | undefined) ?? 0;
        const bound = s.bounds[i] as number;
        // The +Inf bucket must equal _count even if a caller's buckets and count disagree by rounding.
        const value = bound === Number.POSITIVE_INFINITY ? s.count : cumulative;
        out.push(`${bucketPrefix}${formatValue(bound)}"} ${formatValue(value)}`);
      }
      out.push(`${family.name}_sum${braces} ${formatValue(s.sum)}`, `${family.name}_count${braces} ${formatValue(s.count)}`);
    }
  }
  return `${out.join("\n")}\n`;
}
