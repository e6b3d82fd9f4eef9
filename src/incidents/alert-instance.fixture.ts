import type { AlertInstance } from "../alerts/alert.types.ts";

/** A critical alert about web in production, firing; tests override what they are about. */
export function alertInstance(over: Partial<AlertInstance> = {}): AlertInstance {
  return {
    fingerprint: "f1",
    rule: "HighErrorRate",
    labels: { alertname: "HighErrorRate", severity: "critical", env: "production", app: "web" },
    annotations: { summary: "web answers 5xx" },
    state: "firing",
    value: 0.3,
    activeAt: 0,
    firedAt: null,
    resolvedAt: null,
    ...over,
  };
}
