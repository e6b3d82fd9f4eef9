/**
 * The AST of an alert expression (docs/alerts.md "Expressions"). Measurements are Rampart's own: the edge's
 * requests per app and environment, its instances, and any scraped or OTLP metric by name.
 */
export const windowedMeasures = [
  "error_ratio",
  "request_rate",
  "latency_p50",
  "latency_p90",
  "latency_p95",
  "latency_p99",
  "restarts",
  // Real-user monitoring (apps with rum: true): p75 of each web vital (ms; CLS unitless) and JS errors reported.
  "lcp_p75",
  "inp_p75",
  "cls_p75",
  "fcp_p75",
  "ttfb_p75",
  "js_errors",
] as const;
export const instantMeasures = ["healthy_instances", "instances"] as const;
export type WindowedMeasure = (typeof windowedMeasures)[number];
export type InstantMeasure = (typeof instantMeasures)[number];

export type CompareOp = ">" | ">=" | "<" | "<=" | "==" | "!=";
export type ArithOp = "+" | "-" | "*" | "/";

export type ExprNode =
  | { kind: "number"; value: number }
  | { kind: "windowed"; measure: WindowedMeasure; windowMs: number }
  | { kind: "instant"; measure: InstantMeasure }
  | { kind: "metric"; name: string; labels: Record<string, string>; windowMs: number }
  | { kind: "check_failed"; check: string | null }
  /**
   * The share of the app's requests in the window answered with a status of a class (`"4xx"`) or an exact code
   * (`"404"`): what error_ratio is for 5xx, for the client errors a broken route or link shows as.
   */
  | { kind: "status_ratio"; status: string; windowMs: number }
  /** The measure over a long window (`baseline(latency_p99, 1d)`): the app's own normal, read from the rollups. */
  | { kind: "baseline"; measure: WindowedMeasure; windowMs: number }
  | { kind: "arith"; op: ArithOp; left: ExprNode; right: ExprNode }
  | { kind: "neg"; operand: ExprNode };

export type CondNode =
  | { kind: "compare"; op: CompareOp; left: ExprNode; right: ExprNode }
  | { kind: "logic"; op: "and" | "or"; left: CondNode; right: CondNode };

/** Longest window a measurement reads from memory (the metrics store's one-second rings hold an hour). */
export const MAX_MEASURE_WINDOW_MS = 3600_000;
/** Longest baseline window (the rollups keep 30 days by default). */
export const MAX_BASELINE_WINDOW_MS = 30 * 86_400_000;
