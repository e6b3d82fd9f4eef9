import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { secretHits } from "../testing/secret-scan.ts";
import { ALLOW_MARKER, scanArtifact, scanText } from "./artifact-scan.ts";

// Tokens are assembled at run time, so this file itself carries none of them.
// Starting with a letter and a digit, as generated keys almost always have both (the scan asks for both).
const b62 = (n: number) =>
  `k7${Array.from(randomBytes(n - 2), (b) => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[b % 62]).join("")}`;
const planted = {
  aws_access_key: `${"AKIA"}${"QWERTYUIOPASDFGH"}`,
  aws_secret_key: `aws_secret_access_key = "${b62(40)}"`,
  github_token: `${"ghp_"}${b62(36)}`,
  slack_token: `${"xoxb"}-${b62(12)}-${b62(24)}`,
  stripe_key: `${"sk_"}live_${b62(24)}`,
  private_key: `-----BEGIN ${"RSA PRIVATE"} KEY-----`,
  jwt: `${"eyJ"}${b62(20)}.${"eyJ"}${b62(30)}.${b62(40)}`,
  rampart_token: `${"rampart_"}pat_${randomBytes(32).toString("base64url")}`,
  secret_assignment: `const API_KEY = "${b62(24)}";`,
  high_entropy: `blob: "k7${randomBytes(30).toString("base64")}"`,
};

describe("artifact secret scan", () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("finds each known token format, a secret-looking assignment and a high-entropy literal, by file, line and kind", () => {
    for (const [kind, text] of Object.entries(planted)) {
      const findings = scanText("app/config.js", `// config\nmodule.exports = {};\n${text}\n`);
      assert.deepEqual(
        findings.map((f) => [f.file, f.line, f.kind]),
        [["app/config.js", 3, kind]],
        `${kind} is found on its line`,
      );
    }
  });

  it("leaves code, paths, hashes and marked lines alone", () => {
    const clean = [
      `const token = \`rampart_ses_$\{randomBytes(32).toString('base64url')}\`;`,
      'const url = "http://127.0.0.1:7700/api/v1/heartbeats/production/web/nightly-backup";',
      `"integrity": "sha512-${randomBytes(48).toString("base64")}",`,
      `const commit = "${randomBytes(20).toString("hex")}";`,
      'const password = process.env.DB_PASSWORD ?? "";',
      `const fixture = "${planted.github_token}"; // ${ALLOW_MARKER}`,
      "export function somethingLongAndDescriptiveWithoutAnySecretsInsideIt() {}",
    ].join("\n");
    assert.deepEqual(scanText("a.ts", clean), []);
  });

  it("walks the artifact (not node_modules or lockfiles), finds the app's own secret value, and never carries a value", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rampart-scan-"));
    dirs.push(dir);
    const own = `pw-${b62(20)}`;
    mkdirSync(join(dir, "lib"));
    mkdirSync(join(dir, "node_modules", "dep"), { recursive: true });
    writeFileSync(join(dir, "server.js"), `const db = connect();\n\n// a leftover\nconst url = "postgres://app:${own}@db/app";\n`);
    writeFileSync(join(dir, "lib", "keys.txt"), `${planted.aws_access_key}\n`);
    writeFileSync(join(dir, "node_modules", "dep", "index.js"), `${planted.stripe_key}\n`);
    writeFileSync(join(dir, "package-lock.json"), `{"integrity": "${randomBytes(48).toString("base64")}"}\n`);
    writeFileSync(join(dir, "image.bin"), Buffer.from([0, 1, 2, ...Buffer.from(planted.jwt)]));
    const result = await scanArtifact(dir, [
      { name: "DATABASE_PASSWORD", value: own },
      { name: "SHORT", value: "true" },
    ]);
    assert.deepEqual(result.findings.map((f) => `${f.file}:${f.line} ${f.kind}`).sort(), [
      "lib/keys.txt:1 aws_access_key",
      "server.js:4 app_secret:DATABASE_PASSWORD",
    ]);
    assert.equal(result.scannedFiles, 2, "server.js and lib/keys.txt (node_modules and lockfiles are not walked)");
    assert.equal(result.skippedFiles, 1, "the binary file");
    assert.deepEqual(secretHits([own, planted.aws_access_key], [JSON.stringify(result)]), []);
  });
});
