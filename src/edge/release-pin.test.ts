import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePinnedRelease, PinSources } from "./release-pin.ts";

test("pin sources match IPv4, IPv6 and IPv4-mapped addresses by CIDR", () => {
  const sources = new PinSources(["127.0.0.1/32", "10.1.0.0/16", "::1/128", "fd00::/8", "not-an-ip/3", "10.0.0.0/99"]);
  assert.equal(sources.allows("127.0.0.1"), true);
  assert.equal(sources.allows("::ffff:127.0.0.1"), true);
  assert.equal(sources.allows("10.1.200.3"), true);
  assert.equal(sources.allows("10.2.0.1"), false);
  assert.equal(sources.allows("::1"), true);
  assert.equal(sources.allows("fd12::5"), true);
  assert.equal(sources.allows("2001:db8::1"), false);
  assert.equal(sources.allows(undefined), false);
  assert.equal(new PinSources([]).allows("127.0.0.1"), false);
});

test("only a plain positive release number pins", () => {
  assert.equal(parsePinnedRelease("12"), 12);
  assert.equal(parsePinnedRelease(" 3 "), 3);
  for (const bad of [undefined, "", "0", "-1", "1.5", "abc", "01", "9999999999"])
    assert.equal(parsePinnedRelease(bad), undefined, String(bad));
});
