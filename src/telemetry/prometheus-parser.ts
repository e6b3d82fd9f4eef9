import { LABEL_NAME, METRIC_NAME } from "./metrics.types.ts";

/**
 * A parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0 text (what the scraper asks for first).
 * OpenMetrics names a family without its sample suffixes (`# TYPE jobs counter` over `jobs_total`), which
 * scrape-ingest resolves; exemplars (`… # {trace_id="…"} 0.05 1.7e9`) are checked and dropped; `# EOF` and
 * `# UNIT` are comments here. It never throws on what an app serves: a bad line is reported with its line
 * number and skipped, the rest still counts.
 */
export type ParsedType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  line: number;
}

export interface ParseProblem {
  line: number;
  message: string;
}

export interface ParsedExposition {
  types: Map<string, ParsedType>;
  samples: ParsedSample[];
  problems: ParseProblem[];
}

const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped", "unknown", "gaugehistogram", "info", "stateset"]);

export function parsePrometheusText(text: string): ParsedExposition {
  const types = new Map<string, ParsedType>();
  const samples: ParsedSample[] = [];
  const problems: ParseProblem[] = [];
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const raw = (lines[n] as string).replace(/\r$/, "");
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const meta = /^#\s*TYPE\s+(\S+)\s+(\S+)\s*$/.exec(line);
      if (meta) {
        const [, name, type] = meta as unknown as [string, string, string];
        if (!TYPES.has(type)) problems.push({ line: n + 1, message: `unknown metric type ${JSON.stringify(type)} for ${name}` });
        else types.set(name, type === "counter" || type === "gauge" || type === "histogram" || type === "summary" ? type : "untyped");
      }
      continue;
    }
    const parsed = parseSampleLine(line);
    if ("error" in parsed)
      problems.push({ line: n + 1, message: `${parsed.error}: ${JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line)}` });
    else samples.push({ ...parsed, line: n + 1 });
  }
  return { types, samples, problems };
}

function parseSampleLine(line: string): { name: string; labels: Record<string, string>; value: number } | { error: string } {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) return { error: "expected a metric name" };
  const name = nameMatch[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    for (;;) {
      while (line[i] === " " || line[i] === "\t") i++;
      if (line[i] === "}") {
        i++;
        break;
      }
      const labelMatch = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/.exec(line.slice(i));
      if (!labelMatch) return { error: `expected label="value" at column ${i + 1}` };
      const label = labelMatch[1] as string;
      i += labelMatch[0].length;
      let value = "";
      let closed = false;
      while (i < line.length) {
        const c = line[i] as string;
        if (c === "\\") {
          const next = line[i + 1];
          if (next === "n") value += "\n";
          else if (next === "\\" || next === '"') value += next;
          else return { error: `invalid escape \\${next ?? ""} in the value of label ${label}` };
          i += 2;
          continue;
        }
        i++;
        if (c === '"') {
          closed = true;
          break;
        }
        value += c;
      }
      if (!closed) return { error: `unterminated value of label ${label}` };
      if (label in labels) return { error: `label ${label} given twice` };
      if (!LABEL_NAME.test(label)) return { error: `invalid label name ${label}` };
      labels[label] = value;
      while (line[i] === " " || line[i] === "\t") i++;
      if (line[i] === ",") i++;
      else if (line[i] !== "}") return { error: `expected , or } at column ${i + 1}` };
    }
  }
  let tail = line.slice(i);
  // An OpenMetrics exemplar follows ` # `; nothing after the labels can hold a `#` otherwise.
  const hash = tail.indexOf("#");
  if (hash >= 0) {
    const exemplar = parseExemplar(tail.slice(hash + 1));
    if (exemplar !== undefined) return { error: exemplar };
    tail = tail.slice(0, hash);
  }
  const rest = tail.trim().split(/\s+/);
  if (rest.length < 1 || rest[0] === "" || rest.length > 2)
    return { error: "expected a value (and an optional timestamp) after the name and labels" };
  const value = parseNumber(rest[0] as string);
  if (value === undefined) return { error: `${JSON.stringify(rest[0])} is not a number` };
  // Milliseconds in 0.0.4, seconds (possibly fractional or with an exponent) in OpenMetrics: only checked, not used.
  if (rest[1] !== undefined && !Number.isFinite(parseNumber(rest[1]) ?? Number.NaN))
    return { error: `${JSON.stringify(rest[1])} is not a timestamp` };
  if (!METRIC_NAME.test(name)) return { error: `invalid metric name ${name}` };
  return { name, labels, value };
}

/** Checks an exemplar (`{labels} value [timestamp]`, the text after `#`); returns what is wrong, or undefined. */
function parseExemplar(text: string): string | undefined {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith("{")) return "expected an exemplar ({labels} value) after #";
  const parsed = parseSampleLine(`exemplar${trimmed}`);
  return "error" in parsed ? `bad exemplar: ${parsed.error}` : undefined;
}

function parseNumber(text: string): number | undefined {
  if (text === "+Inf" || text === "Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
