import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoginThrottle } from "./login-throttle.ts";
import { clearedSessionCookie, newSessionId, sessionCookie, sessionExpired } from "./session-policy.ts";

const T0 = 1_800_000_000_000;

describe("login throttle", () => {
  it("refuses a user after 5 failures in the window, until the oldest leaves it", () => {
    const t = new LoginThrottle({ perUser: 5, perAddress: 100, windowMs: 60_000 });
    for (let i = 0; i < 5; i++) {
      assert.equal(t.retryAfterMs("Dana", "10.0.0.1", T0 + i), 0);
      t.failed("Dana", "10.0.0.1", T0 + i);
    }
    assert.equal(t.retryAfterMs("dana", "10.0.0.9", T0 + 10), 60_000 - 10, "by user, whatever the address or case");
    assert.equal(t.retryAfterMs("dana", "10.0.0.9", T0 + 60_000), 0);
  });

  it("refuses an address spraying many users, and a success clears the user only", () => {
    const t = new LoginThrottle({ perUser: 5, perAddress: 3, windowMs: 60_000 });
    for (const u of ["a", "b", "c"]) t.failed(u, "10.0.0.2", T0);
    assert.ok(t.retryAfterMs("d", "10.0.0.2", T0 + 1) > 0);
    t.succeeded("a");
    assert.ok(t.retryAfterMs("a", "10.0.0.2", T0 + 1) > 0, "the address is still throttled");
    assert.equal(t.retryAfterMs("a", "10.0.0.3", T0 + 1), 0);
  });

  it("stays bounded under a flood of made-up user names", () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 50_000; i++) t.failed(`user${i}`, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, T0);
    assert.ok(t.trackedKeys <= 10_000, `${t.trackedKeys} keys tracked`);
  });
});

describe("sessions", () => {
  it("expire when idle and at their absolute limit", () => {
    const s = { createdAt: T0, lastSeenAt: T0 };
    assert.equal(sessionExpired(s, T0 + 29 * 60_000), null);
    assert.equal(sessionExpired(s, T0 + 30 * 60_000), "idle");
    assert.equal(sessionExpired({ createdAt: T0, lastSeenAt: T0 + 8 * 3600_000 - 1 }, T0 + 8 * 3600_000), "absolute");
  });

  it("have random ids and HttpOnly SameSite cookies, Secure over TLS", () => {
    const a = newSessionId();
    assert.notEqual(a.id, newSessionId().id);
    assert.match(
      sessionCookie(a.id, { secure: true, maxAgeMs: 3600_000 }),
      /^rampart_session=rampart_ses_[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=3600; Secure$/,
    );
    assert.doesNotMatch(sessionCookie(a.id, { secure: false, maxAgeMs: 1000 }), /Secure/);
    assert.match(clearedSessionCookie(false), /^rampart_session=; .*Max-Age=0/);
  });
});
