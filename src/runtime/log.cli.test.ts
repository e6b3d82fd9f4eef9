import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { humanLogLine } from "./log.cli.ts";
import type { LogLineView } from "./log.routes.ts";

function line(text: string, message: string, fields: Record<string, unknown> = {}, level = "info"): LogLineView {
  return {
    time: Date.parse("2026-12-05T12:00:00.000Z"),
    stream: "out",
    level,
    text,
    message,
    fields,
    labels: { env: "staging", app: "web", release: "1", instance: "staging.web.r1.1" },
  };
}

describe("rampart logs, human output (issue 19 item 15)", () => {
  it("prints the parsed message and fields of a JSON line, not the raw JSON", () => {
    const json = '{"level":50,"time":1,"msg":"payment failed","order":"o-7","amount":12.5,"tags":["a"]}';
    assert.equal(
      humanLogLine(line(json, "payment failed", { order: "o-7", amount: 12.5, tags: ["a"] }, "error")),
      '2026-12-05T12:00:00.000Z staging.web.r1.1 ERROR payment failed order=o-7 amount=12.5 tags=["a"]',
    );
    assert.equal(
      humanLogLine(line("level=warn msg=slow", "slow", { path: "/a b" }, "warn")),
      '2026-12-05T12:00:00.000Z staging.web.r1.1 WARN  slow path="/a b"',
    );
  });

  it("prints a plain line, and a JSON line without a message, as written", () => {
    assert.equal(
      humanLogLine(line("listening on 8080", "listening on 8080")),
      "2026-12-05T12:00:00.000Z staging.web.r1.1 INFO  listening on 8080",
    );
    assert.equal(
      humanLogLine(line('{"level":30,"event":"x"}', "", { event: "x" })),
      '2026-12-05T12:00:00.000Z staging.web.r1.1 INFO  {"level":30,"event":"x"}',
    );
  });
});
