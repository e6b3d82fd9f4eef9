/**
 * Writes packages/sdk/test-vectors.json: the published hashing vectors other implementations of the
 * Rampart flag evaluation (another language's SDK, a proxy) check themselves against. Run after a
 * deliberate change only: `node packages/sdk/scripts/generate-test-vectors.ts`; the test fails otherwise.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bucketOf, murmur3, murmur3Salted } from "../src/murmur3.ts";
import { ROLLOUT_SEED, VARIANT_SEED } from "../src/flag-data.ts";
import { compileSnapshot, evaluateFlag } from "../src/evaluator.ts";
import { booleanFlag, snapshotOf } from "../src/flag-fixtures.ts";

const strings = [
  "",
  "a",
  "ab",
  "abc",
  "abcd",
  "hello",
  "The quick brown fox jumps over the lazy dog",
  "héllo wörld",
  "日本語",
  "emoji 😀",
  "user-42",
];
const murmur = strings.flatMap((input) => [0, 1, ROLLOUT_SEED, VARIANT_SEED].map((seed) => ({ input, seed, hash: murmur3(input, seed) })));

const salts = ["new-checkout-7f3a", "", "ünïcode", "s"];
const values = ["user-1", "user-2", "user-42", "alice@example.com", "42", "ß", "😀", ""];
const buckets = salts.flatMap((salt) =>
  values.flatMap((value) =>
    (
      [
        ["rollout", ROLLOUT_SEED],
        ["variant", VARIANT_SEED],
      ] as const
    ).map(([seedName, seed]) => {
      const hash = murmur3Salted(salt, value, seed);
      return { salt, value, seedName, seed, hash, bucket: bucketOf(hash) };
    }),
  ),
);

const rolloutCases = [
  { percentage: 50, variations: [{ variation: "on", weight: 1 }] },
  { percentage: 12.5, variations: [{ variation: "on", weight: 1 }] },
  {
    percentage: 100,
    variations: [
      { variation: "a", weight: 1 },
      { variation: "b", weight: 1 },
      { variation: "c", weight: 2 },
    ],
  },
  {
    percentage: 30,
    variations: [
      { variation: "a", weight: 50 },
      { variation: "b", weight: 50 },
    ],
  },
];
const rollouts = rolloutCases.flatMap(({ percentage, variations }) => {
  const flag = {
    ...booleanFlag("f"),
    type: "string" as const,
    salt: "exp-salt-1",
    variations: [
      { key: "off", value: "off" },
      { key: "on", value: "on" },
      { key: "a", value: "a" },
      { key: "b", value: "b" },
      { key: "c", value: "c" },
    ],
    fallthrough: { rollout: { by: "userId", percentage, variations, outVariation: "off" } },
  };
  const compiled = compileSnapshot(snapshotOf([flag]));
  return Array.from({ length: 12 }, (_, i) => `user-${i}`).map((userId) => ({
    salt: flag.salt,
    percentage,
    variations,
    outVariation: "off",
    value: userId,
    expected: evaluateFlag(compiled, "f", { userId }).variation,
  }));
});

const vectors = {
  description: "Rampart flag hashing test vectors; see docs/flags-hashing.md. All hashes are murmur3 x86_32 over UTF-8, unsigned.",
  rolloutSeed: ROLLOUT_SEED,
  variantSeed: VARIANT_SEED,
  murmur3: murmur,
  buckets,
  rollouts,
};
const target = fileURLToPath(new URL("../test-vectors.json", import.meta.url));
writeFileSync(target, `${JSON.stringify(vectors, null, 1)}\n`);
console.log(`wrote ${target}: ${murmur.length} murmur3, ${buckets.length} bucket, ${rollouts.length} rollout vectors`);
