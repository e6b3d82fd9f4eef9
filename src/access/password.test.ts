import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashPassword, MAX_PASSWORD_BYTES, needsRehash, OWASP_ARGON2ID, parsePhc, passwordProblem, verifyPassword } from "./password.ts";

// Cheap parameters keep the tests fast; the OWASP ones are checked for shape once.
const FAST = { memoryKiB: 64, passes: 1, parallelism: 1 };

describe("passwords (argon2id, PHC strings)", () => {
  it("hashes at OWASP's parameters into a PHC string that verifies", async () => {
    const phc = await hashPassword("correct horse battery staple");
    assert.match(phc, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(await verifyPassword(phc, "correct horse battery staple"), true);
    assert.equal(await verifyPassword(phc, "correct horse battery stapl"), false);
    assert.equal(needsRehash(phc), false);
  });

  it("verifies a hash made by the reference implementation (Debian's argon2 CLI)", async () => {
    // echo -n "correct horse battery staple" | argon2 rampartsaltsalt1 -id -t 2 -m 10 -p 1 -l 32 -e
    const reference = "$argon2id$v=19$m=1024,t=2,p=1$cmFtcGFydHNhbHRzYWx0MQ$TzGynrFMuKK85UUYRRD4M95si7a5Soeq06SAwxzpEdw";
    assert.equal(await verifyPassword(reference, "correct horse battery staple"), true);
    assert.equal(await verifyPassword(reference, "correct horse battery staplE"), false);
    const a = await hashPassword("pw-with-enough-length", FAST);
    const parsed = parsePhc(a);
    assert.ok(parsed);
    assert.equal(parsed.salt.length, 16);
    assert.equal(parsed.tag.length, 32);
    assert.notEqual(a, await hashPassword("pw-with-enough-length", FAST), "a fresh salt per hash");
  });

  it("asks for a rehash when the parameters changed, and never matches a malformed hash", async () => {
    const old = await hashPassword("another long password", FAST);
    assert.equal(needsRehash(old, OWASP_ARGON2ID), true);
    assert.equal(await verifyPassword(old, "another long password"), true);
    for (const bad of [
      "",
      "plain",
      "$argon2i$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
      old.replace("t=1", "t=x"),
    ]) {
      assert.equal(await verifyPassword(bad, "another long password"), false, bad);
      assert.equal(needsRehash(bad), true);
    }
  });

  it("refuses oversized passwords before hashing, and short ones by policy", async () => {
    const huge = "x".repeat(MAX_PASSWORD_BYTES + 1);
    await assert.rejects(hashPassword(huge, FAST), /at most 1024 bytes/);
    const phc = await hashPassword("a long enough password", FAST);
    assert.equal(await verifyPassword(phc, huge), false);
    assert.match(passwordProblem("short") ?? "", /at least 12 characters/);
    assert.equal(passwordProblem("twelve chars"), null);
  });
});
