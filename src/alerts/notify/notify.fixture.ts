import { createHash } from "node:crypto";
import type { AlertInstance } from "../alert.types.ts";

/** An alert as alert evaluation would hand it over; the fingerprint follows the seam's definition. */
export function alertFixture(
  labels: Record<string, string>,
  options: { state?: AlertInstance["state"]; at?: number; annotations?: Record<string, string> } = {},
): AlertInstance {
  const rule = labels.alertname ?? "TestAlert";
  const all: Record<string, string> = { alertname: rule, severity: "warning", ...labels };
  const sorted = Object.entries(all).sort(([a], [b]) => a.localeCompare(b));
  const fingerprint = createHash("sha256")
    .update(JSON.stringify([rule, sorted]))
    .digest("hex")
    .slice(0, 16);
  const at = options.at ?? 1_700_000_000_000;
  const state = options.state ?? "firing";
  return {
    fingerprint,
    rule,
    labels: all,
    annotations: options.annotations ?? { summary: `${rule} on ${all.app ?? "the project"}` },
    state,
    value: 1,
    activeAt: at,
    firedAt: at,
    resolvedAt: state === "resolved" ? at : null,
  };
}
