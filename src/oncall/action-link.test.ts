import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { FakeAuthenticator } from "../access/fake-authenticator.ts";
import type { Principal } from "../access/permissions.ts";
import { alertFixture } from "../alerts/notify/notify.fixture.ts";
import { buildApiServer } from "../api/api-server.ts";
import { RampartError } from "../shared/errors.ts";
import { ActionLinkSigner, LINK_TTL_MS } from "./action-link.ts";
import { oncallWorld } from "./oncall.fixture.ts";

const person = (name: string, role: "viewer" | "developer"): Principal => ({
  kind: "user",
  name,
  grants: [{ role, env: "*" }],
  timed: [],
  apps: null,
});
const key = randomBytes(32);
const NOW = Date.parse("2026-03-28T12:00:00Z");

function rejects(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => error instanceof RampartError && error.code === code);
}

describe("signed action links", () => {
  const signer = new ActionLinkSigner(() => key);

  it("verifies its own tokens and refuses forged, altered, other-action, other-key and expired ones", () => {
    const token = signer.sign("ack", "0123456789abcdef", NOW);
    assert.deepEqual(
      { ...signer.verify(token, NOW), nonce: "n" },
      { action: "ack", target: "0123456789abcdef", expiresAt: NOW + LINK_TTL_MS, nonce: "n" },
    );
    const [payload = "", mac = ""] = token.split(".");
    const claim = Buffer.from(payload, "base64url").toString();
    // The same signature over another action or target, or a later expiry, does not hold.
    for (const altered of [
      claim.replace("ack|", "rollback|"),
      claim.replace("0123456789abcdef", "fedcba9876543210"),
      claim.replace(String(NOW + LINK_TTL_MS), String(NOW + 10 * LINK_TTL_MS)),
    ]) {
      rejects(() => signer.verify(`${Buffer.from(altered).toString("base64url")}.${mac}`, NOW), "action_link_invalid");
    }
    rejects(() => signer.verify(`${payload}.${mac.slice(0, -2)}`, NOW), "action_link_invalid");
    rejects(() => signer.verify("garbage", NOW), "action_link_invalid");
    rejects(() => new ActionLinkSigner(() => randomBytes(32)).verify(token, NOW), "action_link_invalid");
    rejects(() => signer.verify(token, NOW + LINK_TTL_MS), "action_link_expired");
    assert.notEqual(signer.sign("ack", "x", NOW), signer.sign("ack", "x", NOW), "each link has its own nonce");
  });

  describe("over the API", () => {
    let world: Awaited<ReturnType<typeof oncallWorld>>;
    let api: FastifyInstance;
    const fingerprint = alertFixture({ alertname: "HighErrorRatio", severity: "critical", app: "api" }).fingerprint;

    before(async () => {
      world = await oncallWorld(
        {
          people: { bob: { webhook: "https://hooks.example.com/bob" } },
          schedules: { primary: { time_zone: "Europe/Berlin", rotation: { every: "week", handoff: "Mon 09:00", people: ["bob"] } } },
          escalation: { default: [{ notify: "schedule:primary", wait: "5m" }] },
        },
        NOW,
      );
      await world.oncall.escalations.observe([
        alertFixture({ alertname: "HighErrorRatio", severity: "critical", app: "api" }, { at: NOW }),
      ]);
      api = buildApiServer({
        routes: world.oncall.routes,
        streams: [],
        protocols: world.oncall.protocols,
        authenticator: new FakeAuthenticator([
          ["bob", person("bob", "developer")],
          ["vic", person("vic", "viewer")],
        ]),
        protection: { isProtected: () => false },
        clock: world.clock,
        version: "test",
        dataDir: "/tmp",
      });
    });
    after(async () => {
      await api.close();
      await world.close();
    });

    const click = (token: string, as?: string) =>
      api.inject({ method: "POST", url: `/api/v1/actions/${token}`, headers: as ? { authorization: `Bearer ${as}` } : {} });
    const code = (body: string) => (JSON.parse(body) as { error: { code: string } }).error.code;

    it("shows what a link does without a login, and refuses a forged one", async () => {
      const token = world.oncall.signer.sign("ack", fingerprint, world.clock.now());
      const page = await api.inject({ method: "GET", url: `/api/v1/actions/${token}` });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /acknowledge alert [0-9a-f]{16}\?/);
      const forged = await api.inject({ method: "GET", url: `/api/v1/actions/${token.slice(0, -3)}abc` });
      assert.equal(forged.statusCode, 403);
      assert.equal(code(forged.body), "action_link_invalid");
    });

    it("acts only for a logged-in clicker holding the permission, as that clicker, once", async () => {
      const token = world.oncall.signer.sign("ack", fingerprint, world.clock.now());
      const anonymous = await click(token);
      assert.equal(anonymous.statusCode, 401, "the link alone grants nothing");
      const viewer = await click(token, "vic");
      assert.equal(viewer.statusCode, 403, viewer.body);
      const done = await click(token, "bob");
      assert.equal(done.statusCode, 200, done.body);
      const ack = (await world.events.query({ type: "alert.acknowledged", limit: 10 }))[0];
      assert.equal(ack?.actor, "bob");
      assert.equal((await world.events.query({ type: "oncall.link_used", limit: 10 })).length, 1, "refused clicks did not spend it");
      const replay = await click(token, "bob");
      assert.equal(replay.statusCode, 409);
      assert.equal(code(replay.body), "action_link_used");
    });

    it("refuses an expired link and a link for another action made from an ack link", async () => {
      const token = world.oncall.signer.sign("ack", fingerprint, world.clock.now());
      const [payload = "", mac = ""] = token.split(".");
      const rollback = Buffer.from(Buffer.from(payload, "base64url").toString().replace("ack|", "rollback|")).toString("base64url");
      const other = await click(`${rollback}.${mac}`, "bob");
      assert.equal(other.statusCode, 403);
      assert.equal(code(other.body), "action_link_invalid");
      world.clock.advance(LINK_TTL_MS);
      const expired = await click(token, "bob");
      assert.equal(expired.statusCode, 410);
      assert.equal(code(expired.body), "action_link_expired");
    });
  });
});
