import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  breakGlass,
  defaultBreakGlassPolicy,
  defaultRequestPolicy,
  openRequest,
  type RequestPolicy,
  review,
  revoke,
  stateAt,
} from "./access-request.ts";

const H = 3600_000;
const T0 = 1_800_000_000_000;
const policy: RequestPolicy = { ...defaultRequestPolicy, approvals: 2, maxDurationMs: 4 * H };
const ask = (over: Partial<Parameters<typeof openRequest>[0]> = {}) =>
  openRequest(
    { id: 7, requester: "dana", role: "operator", env: "production", durationMs: H, reason: "checkout errors, INC-12", now: T0, ...over },
    policy,
  );

describe("just-in-time access requests", () => {
  it("pending → approved by enough distinct approvers → expired at its time", () => {
    let r = ask();
    assert.equal(r.state, "pending");
    r = review(r, { reviewer: "erin", reviewerRoles: ["admin"], decision: "approve", reason: "ok", now: T0 + 1000 }, policy);
    assert.equal(r.state, "pending", "one of two approvals");
    assert.throws(
      () => review(r, { reviewer: "erin", reviewerRoles: ["admin"], decision: "approve", reason: "", now: T0 + 2000 }, policy),
      /already reviewed/,
    );
    r = review(r, { reviewer: "frank", reviewerRoles: ["operator"], decision: "approve", reason: "", now: T0 + 3000 }, policy);
    assert.equal(r.state, "approved");
    assert.equal(r.grantedAt, T0 + 3000);
    assert.equal(r.until, T0 + 3000 + H);
    assert.equal(stateAt(r, T0 + 3000 + H - 1), "approved");
    assert.equal(stateAt(r, T0 + 3000 + H), "expired");
  });

  it("the requester cannot approve their own request, nor can someone the policy does not name", () => {
    const r = ask();
    assert.throws(
      () => review(r, { reviewer: "dana", reviewerRoles: ["admin"], decision: "approve", reason: "", now: T0 }, policy),
      (e: Error & { status?: number }) => {
        assert.match(e.message, /your own access request 7/);
        assert.equal(e.status, 403);
        return true;
      },
    );
    assert.throws(
      () => review(r, { reviewer: "gus", reviewerRoles: ["developer"], decision: "approve", reason: "", now: T0 }, policy),
      /gus may not review .* approvers: role operator, role admin/,
    );
    const named = { ...policy, approverRoles: [], approverUsers: ["gus"], approvals: 1 };
    assert.equal(review(r, { reviewer: "gus", reviewerRoles: [], decision: "approve", reason: "", now: T0 }, named).state, "approved");
  });

  it("one deny denies; a request nobody answers expires; decided requests take no more reviews", () => {
    const denied = review(ask(), { reviewer: "erin", reviewerRoles: ["admin"], decision: "deny", reason: "use staging", now: T0 }, policy);
    assert.equal(denied.state, "denied");
    assert.throws(
      () => review(denied, { reviewer: "frank", reviewerRoles: ["admin"], decision: "approve", reason: "", now: T0 }, policy),
      /is denied, not pending/,
    );
    const late = ask();
    assert.equal(stateAt(late, T0 + policy.pendingTtlMs), "expired");
    assert.throws(
      () =>
        review(
          late,
          { reviewer: "erin", reviewerRoles: ["admin"], decision: "approve", reason: "", now: T0 + policy.pendingTtlMs },
          policy,
        ),
      /is expired/,
    );
  });

  it("refuses a missing reason, a role the policy does not offer and a duration over its maximum", () => {
    assert.throws(() => ask({ reason: "  " }), /a reason is required/);
    assert.throws(
      () => ask({ role: "viewer" }),
      /role viewer cannot be requested in production; the policy allows developer, deployer, operator, admin/,
    );
    assert.throws(() => ask({ durationMs: 5 * H }), /at most 4h in production/);
    assert.throws(() => ask({ durationMs: 0 }), /more than 0/);
  });

  it("revoking ends a grant at once; break-glass is granted at once, capped, and marked", () => {
    let r = review(
      ask(),
      { reviewer: "erin", reviewerRoles: ["admin"], decision: "approve", reason: "", now: T0 },
      { ...policy, approvals: 1 },
    );
    r = revoke(r, "erin", T0 + 60_000);
    assert.equal(stateAt(r, T0 + 60_000), "revoked");
    assert.equal(r.until, T0 + 60_000);
    assert.throws(() => revoke(r, "erin", T0 + 70_000), /nothing to revoke/);
    const glass = breakGlass(
      { id: 9, requester: "dana", env: "production", reason: "db down at 3am", durationMs: 5 * H, now: T0 },
      defaultBreakGlassPolicy,
    );
    assert.equal(glass.state, "approved");
    assert.equal(glass.breakGlass, true);
    assert.equal(glass.until, T0 + defaultBreakGlassPolicy.maxDurationMs);
    assert.equal(glass.role, "operator");
  });

  it("a pending request can be withdrawn; an ended grant cannot be revoked; break-glass defaults to its maximum", () => {
    const withdrawn = revoke(ask(), "dana", T0 + 1000);
    assert.equal(withdrawn.state, "revoked");
    assert.equal(withdrawn.until, null, "never granted");
    const granted = review(
      ask(),
      { reviewer: "erin", reviewerRoles: ["admin"], decision: "approve", reason: "", now: T0 },
      { ...policy, approvals: 1 },
    );
    assert.throws(() => revoke(granted, "erin", T0 + H), /is expired: nothing to revoke/);
    const glass = breakGlass(
      { id: 10, requester: "dana", env: "production", reason: "down", durationMs: null, now: T0 },
      { role: "admin", maxDurationMs: 600_000 },
    );
    assert.equal(glass.until, T0 + 600_000);
    assert.equal(stateAt(glass, T0 + 600_000), "expired");
  });
});
