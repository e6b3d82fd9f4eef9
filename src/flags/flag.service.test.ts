import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RampartError } from "../shared/errors.ts";
import { flagsFixture, type FlagsFixture } from "./flag.fixture.ts";

const DAY = 86_400_000;

/** The field names of a 400, so a test can say which fields were rejected. */
async function rejectedFields(work: Promise<unknown>): Promise<string[]> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof RampartError, String(error));
    assert.equal(error.status, 400, error.message);
    return (error.details as Array<{ field: string }>).map((d) => d.field);
  }
  assert.fail("expected a 400");
}

describe("FlagService", () => {
  let f: FlagsFixture;
  before(async () => {
    f = await flagsFixture();
    await f.service.create({ key: "reco", type: "boolean", kind: "release", description: "" }, "alice");
    await f.service.create(
      {
        key: "color",
        type: "string",
        kind: "experiment",
        description: "",
        variations: [
          { key: "blue", value: "blue" },
          { key: "green", value: "green" },
        ],
      },
      "alice",
    );
  });
  after(() => f.close());

  it("creates a flag in every environment serving its off variation, and bumps each snapshot", async () => {
    const flag = await f.service.get("reco");
    assert.deepEqual(
      flag.environments.map((e) => [e.env, e.enabled, e.serving]),
      [
        ["staging", true, "off"],
        ["production", true, "off"],
      ],
    );
    const snapshot = await f.service.evaluate("reco", "staging", { userId: "u1" });
    assert.equal(snapshot.variation, "off");
    assert.equal(snapshot.version, 2);
  });

  it("rejects bad definitions naming each field", async () => {
    assert.deepEqual(
      await rejectedFields(
        f.service.create(
          {
            key: "n",
            type: "number",
            kind: "ops",
            description: "",
            variations: [
              { key: "a", value: 1 },
              { key: "a", value: "x" },
            ],
          },
          "a",
        ),
      ),
      ["body.variations.1.key", "body.variations.1.value"],
    );
    assert.deepEqual(await rejectedFields(f.service.create({ key: "s", type: "string", kind: "ops", description: "" }, "a")), [
      "body.variations",
    ]);
    assert.deepEqual(
      await rejectedFields(f.service.create({ key: "b", type: "boolean", kind: "ops", description: "", offVariation: "nope" }, "a")),
      ["body.offVariation"],
    );
    assert.deepEqual(await rejectedFields(f.service.create({ key: "sdk", type: "boolean", kind: "ops", description: "" }, "a")), [
      "body.key",
    ]);
    await assert.rejects(f.service.create({ key: "reco", type: "boolean", kind: "ops", description: "" }, "a"), /already exists/);
  });

  it("rejects targeting that does not fit the flag: variations, operator value types, regexes, segments", async () => {
    const fields = await rejectedFields(
      f.service.setState(
        "color",
        "staging",
        {
          rules: [
            { clauses: [{ attribute: "age", operator: "gt", values: ["x"] }], serve: { variation: "red" } },
            {
              clauses: [
                { attribute: "email", operator: "matches", values: ["(unclosed"] },
                { attribute: "v", operator: "semver_gt", values: ["1.x"] },
              ],
              serve: { variation: "blue" },
            },
            {
              clauses: [
                { attribute: "u", operator: "in_segment", values: ["beta"] },
                { attribute: "e", operator: "matches", values: ["a".repeat(300)] },
              ],
              serve: { rollout: { by: "userId", percentage: 10, variations: [{ variation: "pink", weight: 1 }], outVariation: "blue" } },
            },
          ],
        },
        "a",
      ),
    );
    assert.deepEqual(fields, [
      "body.rules.0.clauses.0.values.0",
      "body.rules.0.serve.variation",
      "body.rules.1.clauses.0.values.0",
      "body.rules.1.clauses.1.values.0",
      "body.rules.2.clauses.0.values.0",
      "body.rules.2.clauses.1.values.0",
      "body.rules.2.serve.rollout.variations.0.variation",
    ]);
  });

  it("refuses at write time patterns RE2 cannot run (backreferences, lookaround) and versions semver refuses", async () => {
    const work = f.service.setState(
      "color",
      "staging",
      {
        rules: [
          {
            clauses: [
              { attribute: "email", operator: "matches", values: ["^(a+)+$", "(a)\\1", "x(?=y)"] },
              { attribute: "v", operator: "semver_gt", values: ["1.2.3", "01.2.3", "1.2.3-01"] },
            ],
            serve: { variation: "blue" },
          },
        ],
      },
      "a",
    );
    const error = await work.then(
      () => assert.fail("expected a 400"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RampartError && error.status === 400, String(error));
    assert.deepEqual(
      (error.details as Array<{ field: string }>).map((d) => d.field),
      [
        "body.rules.0.clauses.0.values.1",
        "body.rules.0.clauses.0.values.2",
        "body.rules.0.clauses.1.values.1",
        "body.rules.0.clauses.1.values.2",
      ],
    );
    assert.match(
      error.message,
      /body\.rules\.0\.clauses\.0\.values\.1: invalid regular expression for RE2: .*backreferences and lookaround/,
    );
    assert.match(error.message, /body\.rules\.0\.clauses\.1\.values\.1: expected a semantic version such as "1\.4\.0", got "01\.2\.3"/);
  });

  it("checks prerequisites: existing flag and variation, no self-reference, no cycles", async () => {
    await f.service.create({ key: "a", type: "boolean", kind: "release", description: "" }, "x");
    await f.service.create({ key: "b", type: "boolean", kind: "release", description: "" }, "x");
    assert.deepEqual(
      await rejectedFields(
        f.service.setState(
          "a",
          "staging",
          {
            prerequisites: [
              { flag: "a", variation: "on" },
              { flag: "zz", variation: "on" },
              { flag: "b", variation: "maybe" },
            ],
          },
          "x",
        ),
      ),
      ["body.prerequisites.0.flag", "body.prerequisites.1.flag", "body.prerequisites.2.variation"],
    );
    await f.service.setState("a", "staging", { prerequisites: [{ flag: "b", variation: "on" }] }, "x");
    await assert.rejects(
      f.service.setState("b", "staging", { prerequisites: [{ flag: "a", variation: "on" }] }, "x"),
      /prerequisite cycle: b → a → b/,
    );
  });

  it("segments: a rule may use one once it exists", async () => {
    await f.service.setSegment("staging", "beta", { by: "userId", included: ["u1"], excluded: [], rules: [] }, "x");
    const result = await f.service.setState(
      "color",
      "staging",
      { rules: [{ clauses: [{ attribute: "userId", operator: "in_segment", values: ["beta"] }], serve: { variation: "green" } }] },
      "x",
    );
    assert.equal(result.applied, true);
    assert.equal((await f.service.evaluate("color", "staging", { userId: "u1" })).variation, "green");
    assert.equal((await f.service.evaluate("color", "staging", { userId: "u2" })).variation, "blue");
    await assert.rejects(
      f.service.setSegment("staging", "beta", null, "x"),
      (e: RampartError) => e.code === "segment_in_use" && /used in staging by color/.test(e.message),
    );
  });

  it("a percentage rollout is sticky: raising 25 → 50 keeps everyone who was in", async () => {
    await f.service.percentRollout("reco", "staging", { percentage: 25, by: "userId" }, "x");
    const at25 = new Set<string>();
    for (let i = 0; i < 4000; i++)
      if ((await f.service.evaluate("reco", "staging", { userId: `u${i}` })).variation === "on") at25.add(`u${i}`);
    assert.ok(Math.abs(at25.size / 4000 - 0.25) < 0.03, `share ${at25.size / 4000}`);
    await f.service.percentRollout("reco", "staging", { percentage: 50, by: "userId" }, "x");
    let at50 = 0;
    for (let i = 0; i < 4000; i++) {
      const on = (await f.service.evaluate("reco", "staging", { userId: `u${i}` })).variation === "on";
      if (on) at50++;
      if (at25.has(`u${i}`)) assert.ok(on, `u${i} was in at 25% and must stay in at 50%`);
    }
    assert.ok(Math.abs(at50 / 4000 - 0.5) < 0.03, `share ${at50 / 4000}`);
  });

  it("a protected environment files a change request; the requester cannot approve it, someone else can", async () => {
    const filed = await f.service.percentRollout("reco", "production", { percentage: 10, by: "userId" }, "alice");
    assert.equal(filed.applied, false);
    const id = filed.request?.id ?? 0;
    assert.equal((await f.service.get("reco", "production")).environments[0]?.serving, "off");
    await assert.rejects(f.service.approve(id, "alice"), (e: RampartError) => e.status === 403 && /someone else/.test(e.message));
    const approved = await f.service.approve(id, "bob");
    assert.equal(approved.applied, true);
    assert.match((await f.service.get("reco", "production")).environments[0]?.serving ?? "", /^10% on by userId/);
    await assert.rejects(f.service.approve(id, "carol"), /already applied/);
    const types = (await f.service.history("reco", "production", 50)).map((e) => `${e.type}:${e.actor}`);
    assert.deepEqual(types.slice(-3), ["flag.approval.requested:alice", "flag.changed:bob", "flag.approval.approved:bob"]);
  });

  it("an approval made stale by another change applies nothing", async () => {
    const first = await f.service.percentRollout("reco", "production", { percentage: 20, by: "userId" }, "alice");
    const second = await f.service.percentRollout("reco", "production", { percentage: 30, by: "userId" }, "alice");
    await f.service.approve(second.request?.id ?? 0, "bob");
    await assert.rejects(f.service.approve(first.request?.id ?? 0, "bob"), (e: RampartError) => e.code === "stale_change");
  });

  it("the kill switch applies at once even in a protected environment, and is recorded as flag.killed", async () => {
    const result = await f.service.kill("reco", "production", "carol", "errors");
    assert.equal(result.applied, true);
    assert.equal((await f.service.evaluate("reco", "production", { userId: "u1" })).reason, "DISABLED");
    const last = (await f.service.history("reco", "production", 1))[0];
    assert.equal(last?.type, "flag.killed");
    assert.equal((last?.data.after as { enabled: boolean } | undefined)?.enabled, false);
    await assert.rejects(f.service.kill("reco", "production", "carol"), /already killed/);
  });

  it("stale detection: never evaluated, or one variation for everyone, for 7 days; lifetimes by kind", async () => {
    await f.service.create({ key: "old", type: "boolean", kind: "ops", description: "" }, "x");
    await f.service.create({ key: "perm", type: "boolean", kind: "permission", description: "" }, "x");
    assert.equal((await f.service.get("old", "staging")).environments[0]?.stale.stale, false);
    f.clock.advance(8 * DAY);
    const old = (await f.service.get("old", "staging")).environments[0]?.stale;
    assert.equal(old?.stale, true);
    assert.ok(old?.reasons.some((r) => r.startsWith("never evaluated")));
    assert.ok(old?.reasons.some((r) => r.includes("older than the 7 days")));
    assert.equal((await f.service.get("perm", "staging")).environments[0]?.stale.stale, false);
  });
});
