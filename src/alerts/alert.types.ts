/**
 * The seam between alert evaluation (rules → alert instances with states) and notification (routing, grouping,
 * inhibition, silences, receivers), the split Prometheus and Alertmanager make. Evaluation hands the notifier, at
 * every round, each alert that is firing and each that resolved since the last round; the notifier decides who
 * hears about it and when.
 */
export const severities = ["info", "warning", "critical"] as const;
export type Severity = (typeof severities)[number];

export type AlertState = "pending" | "firing" | "resolved";

export interface AlertInstance {
  /** Stable identity of one alert: sha256 of the rule name and its sorted labels (hex, 16 chars). */
  fingerprint: string;
  rule: string;
  /** Always holds `alertname`, `severity`; `env`, `app`, `release` when the alert is about one. */
  labels: Record<string, string>;
  /** `summary`, `description`, `runbook_url` when the rule gives them. */
  annotations: Record<string, string>;
  state: AlertState;
  /** The value of the expression at the last evaluation. */
  value: number;
  /** Epoch ms: when the condition first held (pending began), when it fired, when it resolved. */
  activeAt: number;
  firedAt: number | null;
  resolvedAt: number | null;
}

export interface AlertNotifier {
  /** Called once per evaluation round with every firing alert and every alert resolved since the last round. */
  notify(alerts: readonly AlertInstance[], now: number): Promise<void> | void;
}
