import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRedactor } from "./log-redactor.ts";

describe("createRedactor", () => {
  const value = "s3cr3t value/with+chars&=";
  const redact = createRedactor({
    API_TOKEN: value,
    PIN: "12",
    PEM: "-----BEGIN KEY-----\nMIIBVwIBADANBgkqhkiG9w0BAQEFAASCAUEw\n-----END KEY-----",
  });

  it("replaces the value and its base64, base64url, URL-encoded and JSON-escaped forms", () => {
    const forms = [
      value,
      Buffer.from(value).toString("base64"),
      Buffer.from(value).toString("base64").replace(/=+$/, ""),
      Buffer.from(value).toString("base64url"),
      encodeURIComponent(value),
      encodeURIComponent(value).replace(/%20/g, "+"),
      encodeURIComponent(value)
        .toLowerCase()
        .replace(/%[0-9a-f]{2}/g, (m) => m),
      JSON.stringify(value).slice(1, -1),
    ];
    for (const form of forms) {
      const out = redact(`token=${form} end`);
      assert.equal(out.includes(form), false, `${form} survived: ${out}`);
      assert.match(out, /\[redacted:API_TOKEN\]/);
    }
  });

  it("replaces each line of a multi-line value, and leaves values too short to matter", () => {
    assert.equal(redact("key: MIIBVwIBADANBgkqhkiG9w0BAQEFAASCAUEw"), "key: [redacted:PEM]");
    assert.equal(redact("port 1234, pin 12"), "port 1234, pin 12");
  });

  it("is the identity without secrets", () => {
    const identity = createRedactor({});
    assert.equal(identity("anything"), "anything");
  });
});
