import type { Severity } from "./alert.types.ts";

/** The names `alerts.defaults` may switch off; kept apart from the rules so the manifest schema can import it. */
export const defaultRuleNames = [
  "high_error_ratio",
  "latency_p99_regression",
  "crash_loop",
  "no_healthy_instance",
  "failing_check",
  "high_client_error_ratio",
] as const;
export type DefaultRuleName = (typeof defaultRuleNames)[number];

export interface RuleDefinition {
  name: string;
  expr: string;
  forMs: number;
  severity: Severity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * Rules every app gets without writing one (docs/alerts.md "Default rules"). Windows and `for` are short because
 * the goal is to hear of a bad release within a minute: each also requires some traffic, so one failed request of
 * an idle app pages no one. A rule of the same name in rampart.yaml or over the API replaces one of these.
 */
export const defaultRules: Record<DefaultRuleName, RuleDefinition> = {
  high_error_ratio: {
    name: "high_error_ratio",
    expr: "error_ratio(1m) > 0.05 and request_rate(1m) >= 0.1",
    forMs: 20_000,
    severity: "critical",
    labels: {},
    annotations: {
      summary: "{{ $labels.app }} fails {{ $value | percent }} of its requests in {{ $labels.env }}",
      description: "More than 5% of the requests to {{ $labels.app }} answered 5xx (or failed at the edge) over the last minute.",
    },
  },
  latency_p99_regression: {
    name: "latency_p99_regression",
    expr: "latency_p99(1m) > 2 * baseline(latency_p99, 1d) and latency_p99(1m) > 0.05 and request_rate(1m) >= 0.1",
    forMs: 30_000,
    severity: "warning",
    labels: {},
    annotations: {
      summary: "{{ $labels.app }}'s p99 latency is {{ $value | seconds }} in {{ $labels.env }}, over twice its own 1-day p99",
      description: "The p99 of the last minute is more than double the app's p99 over the last day (and above 50ms).",
    },
  },
  crash_loop: {
    name: "crash_loop",
    expr: "restarts(10m) >= 3",
    forMs: 0,
    severity: "critical",
    labels: {},
    annotations: {
      summary: "{{ $labels.app }} restarted {{ $value }} times in 10 minutes in {{ $labels.env }}",
      description: "Its instances keep crashing: rampart logs {{ $labels.app }} --env {{ $labels.env }} shows why.",
    },
  },
  no_healthy_instance: {
    name: "no_healthy_instance",
    expr: "healthy_instances == 0 and instances > 0",
    forMs: 30_000,
    severity: "critical",
    labels: {},
    annotations: {
      summary: "{{ $labels.app }} has no healthy instance in {{ $labels.env }}",
      description: "Every instance fails its health check or is down: requests to the app fail at the edge.",
    },
  },
  // The hook for synthetic checks: check_failed() has no data until checks report, so this never fires before.
  failing_check: {
    name: "failing_check",
    expr: "check_failed() > 0",
    forMs: 0,
    severity: "warning",
    labels: {},
    annotations: {
      summary: "{{ $value }} synthetic check(s) of {{ $labels.app }} failing in {{ $labels.env }}",
    },
  },
  // A route that starts answering 404 (a broken link, a release that lost a route) fails no 5xx rule. A quarter of
  // all requests is far above the usual stray 404s of scanners and old links, yet reached in seconds when a busy
  // route breaks; warning, since the app itself is up.
  high_client_error_ratio: {
    name: "high_client_error_ratio",
    expr: 'status_ratio("4xx", 1m) > 0.25 and request_rate(1m) >= 0.1',
    forMs: 20_000,
    severity: "warning",
    labels: {},
    annotations: {
      summary: "{{ $labels.app }} answers 4xx to {{ $value | percent }} of its requests in {{ $labels.env }}",
      description:
        "More than a quarter of the requests to {{ $labels.app }} got a 4xx over the last minute: a route or a link may be broken.",
    },
  },
};
