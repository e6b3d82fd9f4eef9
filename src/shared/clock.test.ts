import assert from "node:assert/strict";
import { test } from "node:test";
import { systemClock } from "./clock.ts";

test("systemClock.sleep ends at once when its signal aborts, so a stopping loop does not wait out its interval", async () => {
  const stopping = new AbortController();
  const started = performance.now();
  const slept = systemClock.sleep(60_000, stopping.signal);
  stopping.abort();
  await slept;
  assert.ok(performance.now() - started < 1_000, "a 60 s sleep ended by its abort");
  // Already aborted: resolves without starting a timer.
  await systemClock.sleep(60_000, stopping.signal);
});
