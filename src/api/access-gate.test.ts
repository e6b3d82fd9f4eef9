import assert from "node:assert/strict";
import { test } from "node:test";
import { isAudited, withoutTokens } from "./access-gate.ts";

test("an audited path keeps which route was used and drops what would use it again (a :token segment)", () => {
  assert.equal(
    withoutTokens("/api/v1/heartbeats/staging/web/nightly/hb_abc", "/api/v1/heartbeats/:env/:app/:name/:token"),
    "/api/v1/heartbeats/staging/web/nightly/[token]",
  );
  assert.equal(withoutTokens("/api/v1/actions/eyJh.sig", "/api/v1/actions/:token"), "/api/v1/actions/[token]");
  assert.equal(withoutTokens("/api/v1/envs/production/apps/web", "/api/v1/envs/:env/apps/:app"), "/api/v1/envs/production/apps/web");
  assert.ok(isAudited("POST", null) && !isAudited("GET", null));
});
