import assert from "node:assert/strict";
import { test } from "node:test";
import { appPresence, EDGE_ROUTING_GRACE_MS } from "./app-presence.ts";

test("an app's checks begin once the edge routes to a healthy instance, or once one was healthy a while without that", () => {
  const now = 1_000_000;
  const healthy = { status: "healthy", updatedAt: now - 1_000 };
  assert.equal(appPresence([], false, now), "none");
  assert.equal(appPresence([{ status: "stopped", updatedAt: 0 }], true, now), "none");
  assert.equal(appPresence([{ status: "starting", updatedAt: now }], true, now), "starting", "none healthy yet");
  assert.equal(appPresence([healthy], false, now), "starting", "healthy, but the edge has not taken the table naming it");
  assert.equal(appPresence([healthy], true, now), "live");
  const longHealthy = { status: "healthy", updatedAt: now - EDGE_ROUTING_GRACE_MS };
  assert.equal(appPresence([longHealthy], false, now), "live", "an edge that does not route is for the checks to report");
  assert.equal(appPresence([{ status: "unhealthy", updatedAt: 0 }], true, now), "starting", "instances, none healthy");
});
