import assert from "node:assert/strict";
import { test } from "node:test";
import { type Condition, evaluate, parseCondition, type ProbeResult } from "./check-condition.ts";

const NOW = 1_700_000_000_000;

function parsed(text: string): Condition {
  const result = parseCondition(text);
  assert.ok(result.ok, result.ok ? "" : result.message);
  return result.condition;
}

function probe(over: Partial<ProbeResult> = {}): ProbeResult {
  return { status: 200, elapsedMs: 120, bodyText: '{"status":"UP","items":[{"n":3}]}', certificateExpiresAt: null, error: null, ...over };
}

test("parses Rampart's and Gatus's spellings of the same conditions", () => {
  assert.deepEqual(parsed("status == 200").subject, { kind: "status" });
  assert.deepEqual(parsed("[STATUS] == 200").subject, { kind: "status" });
  assert.equal(parsed("response_time < 300ms").value, 300);
  assert.equal(parsed("[RESPONSE_TIME] < 300").value, 300);
  assert.deepEqual(parsed("[BODY].status == UP").subject, { kind: "body", path: ["status"] });
  assert.deepEqual(parsed("body.items[0].n >= 3").subject, { kind: "body", path: ["items", 0, "n"] });
  assert.equal(parsed("[CERTIFICATE_EXPIRATION] > 48h").value, 48 * 3_600_000);
  assert.equal(parsed('body.status == "UP"').value, "UP");
});

test("a bad condition is refused with what was wrong and an example", () => {
  for (const [text, words] of [
    ["status 200", "is not a condition"],
    ["latency < 3", '"latency"'],
    ["status == ok", "not an HTTP status"],
    ["response_time < soon", "not a duration"],
    ["body.items[x] == 1", "not a subject"],
  ] as const) {
    const result = parseCondition(text);
    assert.equal(result.ok, false, text);
    assert.match(result.ok ? "" : result.message, new RegExp(words.replace(/[[\]]/g, "\\$&")));
  }
});

test("evaluates status, response time, body fields and certificate expiry", () => {
  assert.equal(evaluate(parsed("status == 200"), probe(), NOW).ok, true);
  assert.equal(evaluate(parsed("status == 200"), probe({ status: 503 }), NOW).message, "status == 200: got 503");
  assert.equal(evaluate(parsed("status < 500"), probe({ status: 404 }), NOW).ok, true);
  assert.equal(evaluate(parsed("response_time < 100ms"), probe(), NOW).message, "response_time < 100ms: got 120ms");
  assert.equal(evaluate(parsed("body.status == UP"), probe(), NOW).ok, true);
  assert.equal(evaluate(parsed("body.status != UP"), probe(), NOW).ok, false);
  assert.equal(evaluate(parsed("body.items[0].n > 2"), probe(), NOW).ok, true);
  assert.equal(evaluate(parsed("body.missing == 1"), probe(), NOW).ok, false);
  assert.equal(evaluate(parsed("body.status == UP"), probe({ bodyText: "not json" }), NOW).ok, false);
  const cert = parsed("certificate_expires_in > 48h");
  assert.equal(evaluate(cert, probe({ certificateExpiresAt: NOW + 72 * 3_600_000 }), NOW).ok, true);
  assert.equal(evaluate(cert, probe({ certificateExpiresAt: NOW + 24 * 3_600_000 }), NOW).message, "certificate_expires_in > 48h: got 24h");
  assert.match(evaluate(cert, probe(), NOW).message, /plain HTTP/);
});

test("no response fails every condition, naming the error", () => {
  const result = evaluate(parsed("status == 200"), probe({ status: null, error: "connection refused" }), NOW);
  assert.deepEqual(result, { ok: false, message: "status == 200: no response (connection refused)" });
});
