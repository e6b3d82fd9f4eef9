import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManifestError, formatIssue } from "./manifest-error.ts";
import { parseManifest } from "./manifest.loader.ts";
import { isLoopback, assertSafeListen } from "../daemon/api-tls.ts";
import { RampartError } from "../shared/errors.ts";

const HEAD = `name: shop
environments:
  staging: { port: 8081 }
apps:
  web: { source: ./web, run: node server.js }
`;

function issuesOf(text: string): string[] {
  try {
    parseManifest(text, "/p/rampart.yaml");
  } catch (error) {
    if (error instanceof ManifestError) return error.issues.map(formatIssue);
    throw error;
  }
  return assert.fail("expected a ManifestError");
}

describe("rampart.yaml api: and access.oidc", () => {
  it("resolves api.listen, api.tls (paths against the manifest's folder) and api.insecure", () => {
    const manifest = parseManifest(
      `${HEAD}api: { listen: "0.0.0.0:7700", tls: { cert: tls/api.crt, key: /etc/k.pem } }\n`,
      "/p/rampart.yaml",
    );
    assert.deepEqual(manifest.api, {
      listen: { host: "0.0.0.0", port: 7700 },
      tls: { certFile: "/p/tls/api.crt", keyFile: "/etc/k.pem" },
      insecure: false,
    });
    assert.deepEqual(parseManifest(HEAD, "/p/rampart.yaml").api, { listen: null, tls: null, insecure: false });
    assert.equal(parseManifest(HEAD, "/p/rampart.yaml").oidc, null);
  });

  it("names the key and the expected form of a bad api: block", () => {
    assert.match(
      issuesOf(`${HEAD}api: { listen: "example.com:7700" }\n`).join("\n"),
      /api\.listen: "example\.com:7700" is not HOST:PORT with an IP address, e\.g\. 0\.0\.0\.0:7700/,
    );
    assert.match(issuesOf(`${HEAD}api: { tls: { cert: a.pem } }\n`).join("\n"), /api\.tls\.key/);
    assert.match(issuesOf(`${HEAD}api: { insecure: yes please }\n`).join("\n"), /api\.insecure: .*true or false/);
  });

  it("resolves access.oidc with its defaults, and refuses an unknown role", () => {
    const oidc = `access:\n  oidc:\n    issuer: https://id.example.com/realms/main\n    client_id: rampart\n    client_secret_env: RAMPART_OIDC_SECRET\n    roles:\n      ops: [{ role: operator, env: staging }]\n`;
    assert.deepEqual(parseManifest(`${HEAD}${oidc}`, "/p/rampart.yaml").oidc, {
      issuer: "https://id.example.com/realms/main",
      clientId: "rampart",
      clientSecretEnv: "RAMPART_OIDC_SECRET",
      groupsClaim: "groups",
      scopes: ["openid", "profile", "email"],
      redirectUri: null,
      roles: { ops: [{ role: "operator", env: "staging" }] },
    });
    assert.match(
      issuesOf(`${HEAD}${oidc.replace("operator", "king")}`).join("\n"),
      /access\.oidc\.roles\.ops\[0\]\.role: .*viewer, developer, deployer, operator, admin/,
    );
    assert.match(
      issuesOf(`${HEAD}${oidc.replace("RAMPART_OIDC_SECRET", "not a var")}`).join("\n"),
      /client_secret_env: .*environment variable/,
    );
  });
});

describe("the API's listen address", () => {
  it("counts 127.0.0.0/8, ::1 and localhost as loopback, nothing else", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) assert.equal(isLoopback(host), true, host);
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.5", "::ffff:127.0.0.1x"]) assert.equal(isLoopback(host), false, host);
  });

  it("refuses beyond loopback without TLS unless insecure, naming the three ways out", () => {
    assert.doesNotThrow(() => assertSafeListen("127.0.0.1", 7700, null, false, "rampart.yaml"));
    assert.doesNotThrow(() => assertSafeListen("0.0.0.0", 7700, { certFile: "c", keyFile: "k" }, false, "rampart.yaml"));
    assert.doesNotThrow(() => assertSafeListen("0.0.0.0", 7700, null, true, "rampart.yaml"));
    assert.throws(
      () => assertSafeListen("10.0.0.1", 7700, null, false, "/p/rampart.yaml"),
      (error: unknown) =>
        error instanceof RampartError &&
        error.code === "api_needs_tls" &&
        /10\.0\.0\.1:7700 without TLS/.test(error.message) &&
        /\/p\/rampart\.yaml .*--api 127\.0\.0\.1:7700.*api\.insecure: true/.test(error.hint),
    );
  });
});
