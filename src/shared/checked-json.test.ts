import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { parseJsonAs } from "./checked-json.ts";

describe("parseJsonAs", () => {
  const schema = z.object({ pid: z.number().int(), start: z.string() });

  it("returns the value when it matches the schema", () => {
    assert.deepEqual(parseJsonAs(schema, '{"pid":12,"start":"99"}', "lock"), { pid: 12, start: "99" });
  });

  it("names the source and the field when the value does not match", () => {
    assert.throws(() => parseJsonAs(schema, '{"pid":"12","start":"99"}', "data/lock.json"), /data\/lock\.json is not what .*pid:/);
  });

  it("names the source when the text is not JSON", () => {
    assert.throws(() => parseJsonAs(schema, '{"pid":1', "data/lock.json"), /data\/lock\.json is not valid JSON/);
  });
});
