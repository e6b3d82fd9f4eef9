import type { SpanView } from "./trace.routes.ts";
import { spanPath } from "./trace.types.ts";

type TreeSpan = Omit<SpanView, "path">;

/**
 * A trace as an indented tree: each span with its offset from the trace's start and its duration. Spans whose
 * parent was not stored (the edge did not sample that request, or the client's own span) are printed as roots.
 */
export function formatTraceTree(spans: readonly TreeSpan[]): string {
  if (spans.length === 0) return "";
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, TreeSpan[]>();
  const roots: TreeSpan[] = [];
  for (const span of spans) {
    if (span.parentSpanId !== null && ids.has(span.parentSpanId) && span.parentSpanId !== span.spanId) {
      const list = children.get(span.parentSpanId) ?? [];
      list.push(span);
      children.set(span.parentSpanId, list);
    } else roots.push(span);
  }
  // The edge's span first among roots: it is where the request entered.
  roots.sort((a, b) => Number(b.source === "edge") - Number(a.source === "edge") || a.startMs - b.startMs);
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (span: TreeSpan, prefix: string, last: boolean, depth: number) => {
    if (seen.has(span.spanId)) return;
    seen.add(span.spanId);
    const branch = depth === 0 ? "" : last ? "└─ " : "├─ ";
    const status = span.httpStatus !== null ? ` ${span.httpStatus}` : "";
    // The path the client asked for, beside the route in the name, unless the name already says it.
    const requested = spanPath(span.attributes);
    const path = requested !== null && !span.name.endsWith(` ${requested}`) ? `, ${requested}` : "";
    const where = span.source === "edge" ? "edge" : span.service;
    out.push(
      `${prefix}${branch}${span.name}${status}  ${ms(span.durationMs)}  (+${ms(span.startMs - t0)}, ${where}${path}${span.error ? ", ERROR" : ""})`,
    );
    const kids = (children.get(span.spanId) ?? []).sort((a, b) => a.startMs - b.startMs);
    kids.forEach((kid, i) => walk(kid, depth === 0 ? prefix : prefix + (last ? "   " : "│  "), i === kids.length - 1, depth + 1));
  };
  for (const root of roots) walk(root, "", true, 0);
  return `${out.join("\n")}\n`;
}

function ms(value: number): string {
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(value >= 10 ? 1 : 2)} ms`;
}
