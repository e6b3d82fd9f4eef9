import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManifestError } from "../config/manifest-error.ts";
import { parseManifest } from "../config/manifest.loader.ts";

const base = ["name: shop", "environments:", "  staging: { port: 8081 }", "apps:", "  web: { source: ./web, run: node server.js }"];

describe("rampart.yaml backups:", () => {
  it("resolves every, keep and a dir relative to the manifest", () => {
    const manifest = parseManifest([...base, "backups: { every: 6h, keep: 28, dir: ./backups }"].join("\n"), "/srv/shop/rampart.yaml");
    assert.deepEqual(manifest.backups, { everyMs: 6 * 3_600_000, keep: 28, dir: "/srv/shop/backups" });
    assert.equal(parseManifest(base.join("\n"), "/srv/shop/rampart.yaml").backups, undefined);
  });

  it("names the key and the expected form when a value is wrong", () => {
    const error = (() => {
      try {
        parseManifest([...base, "backups: { every: 6 hours, keep: 0 }"].join("\n"), "/srv/shop/rampart.yaml");
      } catch (e) {
        return e;
      }
      return null;
    })();
    assert.ok(error instanceof ManifestError);
    assert.match(error.message, /backups\.every: "6 hours" is not a duration/);
    assert.match(error.message, /backups\.keep/);
  });
});
