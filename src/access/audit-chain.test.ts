import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { type ChainedEvent, chainHash, GENESIS_HASH, signCheckpoint, verifyChain } from "./audit-chain.ts";
import { canonicalJson } from "./canonical-json.ts";

const keys = generateKeyPairSync("ed25519");
const otherKeys = generateKeyPairSync("ed25519");

function chain(n: number): ChainedEvent[] {
  const out: ChainedEvent[] = [];
  let previous = GENESIS_HASH;
  for (let id = 1; id <= n; id++) {
    const content = {
      id,
      at: 1_700_000_000_000 + id * 1000,
      type: "release.created",
      env: "production",
      app: "web",
      release: id,
      instance: null,
      actor: "alice",
      message: `release ${id}`,
      data: { n: id, nested: { b: 2, a: 1 } },
    };
    const hash = chainHash(previous, content);
    out.push({ ...content, hash });
    previous = hash;
  }
  return out;
}

const checkpointAt = (events: ChainedEvent[], id: number, key = keys.privateKey) => {
  const e = events[id - 1];
  assert.ok(e);
  return signCheckpoint({ eventId: id, hash: e.hash, at: e.at }, key);
};

describe("the audit chain", () => {
  it("canonical JSON ignores key order and undefined members, and refuses non-finite numbers", () => {
    assert.equal(canonicalJson({ b: 1, a: [1, { d: undefined, c: "x" }] }), '{"a":[1,{"c":"x"}],"b":1}');
    assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
    assert.throws(() => canonicalJson({ x: Number.NaN }), /non-finite/);
  });

  it("holds over an untouched log with checkpoints", () => {
    const events = chain(50);
    const result = verifyChain(events, [checkpointAt(events, 20), checkpointAt(events, 50)], keys.publicKey);
    assert.deepEqual(result, { ok: true, events: 50, checkpoints: 2, problem: null });
  });

  it("names the first changed event, even when every later hash was recomputed", () => {
    const events = chain(30);
    const edited = events.map((e) => ({ ...e }));
    const victim = edited[11];
    assert.ok(victim);
    victim.message = "release 12 (edited)";
    assert.deepEqual(verifyChain(edited, [], keys.publicKey).problem?.eventId, 12);
    // The attacker recomputes the chain from the edit on: only the signed checkpoint can tell.
    let previous = edited[10]?.hash ?? GENESIS_HASH;
    for (const e of edited.slice(11)) previous = e.hash = chainHash(previous, e);
    assert.equal(verifyChain(edited, [], keys.publicKey).ok, true, "without a checkpoint a recomputed chain looks whole");
    const problem = verifyChain(edited, [checkpointAt(events, 20)], keys.publicKey).problem;
    assert.equal(problem?.kind, "changed");
    assert.equal(problem?.eventId, 20);
  });

  it("finds a removed event, a removed tail and reordered events", () => {
    const events = chain(10);
    const removed = verifyChain(
      events.filter((e) => e.id !== 4),
      [],
      keys.publicKey,
    ).problem;
    assert.deepEqual([removed?.kind, removed?.eventId], ["removed", 4]);
    const tail = verifyChain(events.slice(0, 7), [checkpointAt(events, 10)], keys.publicKey).problem;
    assert.deepEqual([tail?.kind, tail?.eventId], ["removed", 8]);
    const swapped = [...events];
    [swapped[2], swapped[3]] = [swapped[3] as ChainedEvent, swapped[2] as ChainedEvent];
    const reordered = verifyChain(swapped, [], keys.publicKey).problem;
    assert.equal(reordered?.eventId, 3);
    // Ids swapped to keep their order: the content no longer matches its hash.
    const renumbered = events.map((e) => ({ ...e }));
    const [a, b] = [renumbered[2], renumbered[3]];
    assert.ok(a && b);
    [a.message, b.message] = [b.message, a.message];
    assert.deepEqual(verifyChain(renumbered, [], keys.publicKey).problem?.eventId, 3);
  });

  it("refuses a checkpoint signed by another key or altered after signing", () => {
    const events = chain(5);
    const forged = checkpointAt(events, 5, otherKeys.privateKey);
    assert.equal(verifyChain(events, [forged], keys.publicKey).problem?.kind, "checkpoint");
    const altered = { ...checkpointAt(events, 5), eventId: 4 };
    assert.equal(verifyChain(events, [altered], keys.publicKey).problem?.kind, "checkpoint");
  });
});
