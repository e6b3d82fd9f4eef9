import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { RUM_BEACON_PATH } from "./rum-inject.ts";

/**
 * The reporter the RUM tag loads: Google's `web-vitals` (its IIFE build, bundled as shipped) and a few lines that
 * batch its metrics and the page's uncaught errors into beacons to the edge, sent when the page is hidden (where
 * web-vitals finalises CLS, INP and LCP), or as soon as 10 metrics are waiting. The token is the script tag's own.
 */
const REPORTER = `
(function () {
  var tag = document.currentScript;
  var token = tag && tag.getAttribute("data-rampart-rum");
  if (!token || !window.webVitals) return;
  var queue = [];
  var errors = 0;
  function flush() {
    if (queue.length === 0 && errors === 0) return;
    var body = JSON.stringify({ t: token, p: location.pathname.slice(0, 200), m: queue.splice(0, 10), e: Math.min(errors, 100) });
    errors = 0;
    var sent = false;
    try { sent = navigator.sendBeacon && navigator.sendBeacon(${JSON.stringify(RUM_BEACON_PATH)}, body); } catch (e) {}
    if (!sent && window.fetch) fetch(${JSON.stringify(RUM_BEACON_PATH)}, { method: "POST", body: body, keepalive: true, credentials: "omit" }).catch(function () {});
    if (queue.length > 0) flush();
  }
  function add(metric) {
    queue.push({ n: metric.name.toLowerCase(), v: metric.value });
    if (queue.length >= 10) flush();
  }
  addEventListener("error", function () { errors++; });
  addEventListener("unhandledrejection", function () { errors++; });
  webVitals.onLCP(add);
  webVitals.onINP(add);
  webVitals.onCLS(add);
  webVitals.onFCP(add);
  webVitals.onTTFB(add);
  addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") flush(); });
  addEventListener("pagehide", flush);
  window.__rampartRum = { flush: flush };
})();
`;

let cached: Buffer | undefined;

/** The script's bytes, built once per process from the installed web-vitals package. */
export function rumScript(): Buffer {
  if (cached !== undefined) return cached;
  const main = createRequire(import.meta.url).resolve("web-vitals");
  const library = readFileSync(join(dirname(main), "web-vitals.iife.js"), "utf8").replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n");
  cached = Buffer.from(`/* web-vitals (Apache-2.0, GoogleChrome/web-vitals) */\n${library}\n${REPORTER}`);
  return cached;
}
