import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { HeartbeatUrls } from "./heartbeat-urls.ts";

test("a heartbeat URL's token is bound to its env, app and name and to the key, checked in constant time", () => {
  const key = randomBytes(32);
  let loads = 0;
  const urls = new HeartbeatUrls(() => {
    loads++;
    return key;
  });
  const token = urls.token("staging", "web", "nightly");
  assert.match(token, /^hb_[A-Za-z0-9_-]{43}$/);
  assert.equal(urls.path("staging", "web", "nightly"), `/api/v1/heartbeats/staging/web/nightly/${token}`);
  assert.ok(urls.verify("staging", "web", "nightly", token));
  assert.ok(!urls.verify("staging", "web", "weekly", token), "another heartbeat");
  assert.ok(!urls.verify("production", "web", "nightly", token), "another environment");
  assert.ok(!urls.verify("staging", "web", "nightly", `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`));
  assert.ok(!urls.verify("staging", "web", "nightly", "hb_"), "the wrong shape, without comparing");
  // No separator confusion: "a" + "b\0c" is not "a\0b" + "c".
  assert.notEqual(urls.token("a", "b", "c"), urls.token("a", "bc", ""));
  assert.ok(!new HeartbeatUrls(() => randomBytes(32)).verify("staging", "web", "nightly", token), "another installation's key");
  assert.equal(loads, 1, "the key is read once, at first use");
});
