import type { RumVital } from "../edge/rum-stats.ts";

/** The metrics store's names of the web vitals (histograms by env, app, release) and the JS error counter. */
export const RUM_METRIC_NAMES: Readonly<Record<RumVital, string>> = Object.freeze({
  lcp: "rampart_rum_lcp_milliseconds",
  inp: "rampart_rum_inp_milliseconds",
  cls: "rampart_rum_cls",
  fcp: "rampart_rum_fcp_milliseconds",
  ttfb: "rampart_rum_ttfb_milliseconds",
});
export const RUM_JS_ERRORS = "rampart_rum_js_errors_total";

/** The alert expressions' RUM measures (lcp_p75(5m) > 2500) and the vital each reads at its 75th percentile. */
export const RUM_MEASURES = Object.freeze({ lcp_p75: "lcp", inp_p75: "inp", cls_p75: "cls", fcp_p75: "fcp", ttfb_p75: "ttfb" } as const);
export type RumMeasure = keyof typeof RUM_MEASURES;

export function isRumMeasure(measure: string): measure is RumMeasure {
  return Object.hasOwn(RUM_MEASURES, measure);
}
