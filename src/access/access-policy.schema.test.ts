import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManifestError, formatIssue } from "../config/manifest-error.ts";
import { parseManifest } from "../config/manifest.loader.ts";
import { defaultAccessPolicy, requestPolicyFor } from "./access-policy.schema.ts";
import { defaultBreakGlassPolicy, defaultRequestPolicy } from "./access-request.ts";

/** Lines 1-6; the access: section starts at line 7. */
const HEAD = `name: shop
environments:
  staging: { port: 8081 }
  production: { port: 8080, protected: true }
apps:
  web: { source: ./web, run: node server.js }
`;

function issuesOf(text: string): string[] {
  try {
    parseManifest(text, "rampart.yaml");
  } catch (error) {
    if (error instanceof ManifestError) return error.issues.map(formatIssue);
    throw error;
  }
  return assert.fail("expected a ManifestError");
}

describe("access: policy in rampart.yaml", () => {
  it("defaults apply without an access: section", () => {
    const manifest = parseManifest(HEAD, "rampart.yaml");
    assert.deepEqual(manifest.access, defaultAccessPolicy);
    assert.deepEqual(requestPolicyFor(manifest.access ?? defaultAccessPolicy, "production"), defaultRequestPolicy);
  });

  it("resolves per environment, with * for the rest and defaults for what is not said", () => {
    const manifest = parseManifest(
      `${HEAD}access:
  requests:
    production:
      roles: [operator]
      approvers: { users: [carol, dave] }
      approvals: 2
      max_duration: 2h
      pending_ttl: 15m
    "*": { approvers: { roles: [admin] } }
  break_glass: { max_duration: 30m }
`,
      "rampart.yaml",
    );
    const policy = manifest.access ?? assert.fail("resolved");
    assert.deepEqual(requestPolicyFor(policy, "production"), {
      roles: ["operator"],
      approverRoles: [],
      approverUsers: ["carol", "dave"],
      approvals: 2,
      maxDurationMs: 2 * 3600_000,
      pendingTtlMs: 15 * 60_000,
    });
    assert.deepEqual(requestPolicyFor(policy, "staging"), { ...defaultRequestPolicy, approverRoles: ["admin"] });
    assert.deepEqual(policy.breakGlass, { role: defaultBreakGlassPolicy.role, maxDurationMs: 30 * 60_000 });
  });

  it("names the field of every bad setting", () => {
    const issues = issuesOf(`${HEAD}access:
  requests:
    prodution: { approvals: 1 }
    production: { roles: [superuser], approvals: 0, max_duration: soon, approvers: {} }
    staging: { approvers: { users: [carol] }, approvals: 3, ttl: 1h }
  break_glass: { role: root, max_duration: 0s }
`);
    const expected = [
      /^rampart\.yaml:9:5 access\.requests\.prodution: environment "prodution" is not declared under environments; did you mean "production"\?$/,
      /access\.requests\.production\.roles\[0\]: expected viewer, developer, deployer, operator, admin, got "superuser"$/,
      /access\.requests\.production\.approvals: expected a whole number from 1 to 10, got 0$/,
      /access\.requests\.production\.max_duration: "soon" is not a duration/,
      /access\.requests\.production\.approvers: name at least one approver role or user/,
      /access\.requests\.staging\.ttl: unknown key/,
      /access\.requests\.staging\.approvals: 3 approvals can never be reached: only 1 approver user named/,
      /access\.break_glass\.role: expected viewer, developer, deployer, operator, admin, got "root"$/,
      /access\.break_glass\.max_duration: "0s" is too short/,
    ];
    for (const pattern of expected)
      assert.ok(
        issues.some((i) => pattern.test(i)),
        `${pattern} in:\n${issues.join("\n")}`,
      );
    assert.equal(issues.length, expected.length, issues.join("\n"));
  });
});
