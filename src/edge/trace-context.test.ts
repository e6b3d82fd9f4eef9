import assert from "node:assert/strict";
import { test } from "node:test";
import { formatTraceparent, traceContextFor } from "./trace-context.ts";

const VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

test("a valid traceparent is continued: same trace, the client's span as parent, its sampled flag kept", () => {
  const trace = traceContextFor(VALID, { sampleRate: 0 });
  assert.equal(trace.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  assert.equal(trace.parentSpanId, "00f067aa0ba902b7");
  assert.equal(trace.sampled, true);
  assert.match(trace.spanId, /^[0-9a-f]{16}$/);
  assert.notEqual(trace.spanId, "00f067aa0ba902b7");
  assert.match(formatTraceparent(trace), /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  assert.equal(traceContextFor(VALID.replace(/-01$/, "-00"), { sampleRate: 1 }).sampled, false);
});

test("invalid or missing traceparents start a new trace, sampled at the configured rate", () => {
  const invalid = [
    undefined,
    "",
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
    `${VALID}-extra`,
  ];
  for (const incoming of invalid) {
    const trace = traceContextFor(incoming, { sampleRate: 1 });
    assert.equal(trace.parentSpanId, null, String(incoming));
    assert.match(trace.traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(trace.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(trace.sampled, true);
  }
  assert.equal(traceContextFor(undefined, { sampleRate: 0 }).sampled, false);
});
