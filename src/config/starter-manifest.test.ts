import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseManifest } from "./manifest.loader.ts";
import { resolveApp } from "./manifest.resolve.ts";
import { manifestFileSchema } from "./manifest.schema.ts";
import { allowedKeysAt } from "./schema-issues.ts";
import { projectNameFrom, starterManifest } from "./starter-manifest.ts";

describe("starterManifest", () => {
  it("loads without error: web app, staging and a protected production", () => {
    const manifest = parseManifest(starterManifest("my-shop"), "/srv/my-shop/rampart.yaml");
    assert.equal(manifest.name, "my-shop");
    assert.deepEqual(Object.keys(manifest.apps), ["web"]);
    assert.deepEqual(Object.keys(manifest.environments), ["staging", "production"]);
    assert.equal(manifest.environments.production?.protected, true);
    assert.equal(manifest.environments.staging?.protected, false);
    assert.equal(resolveApp(manifest, "web", "staging").instances, 1);
    assert.equal(resolveApp(manifest, "web", "production").instances, 2);
    assert.equal(resolveApp(manifest, "web", "production").source, "/srv/my-shop/web");
  });

  it("shows and comments every key the schema knows", () => {
    const text = starterManifest("shop");
    const paths = [
      [],
      ["environments", "x"],
      ["environments", "x", "tls"],
      ["environments", "x", "limits"],
      ["apps", "x"],
      ["apps", "x", "health"],
      ["apps", "x", "limits"],
      ["apps", "x", "sticky"],
      ["apps", "x", "headers"],
      ["apps", "x", "release"],
      ["apps", "x", "release", "guards"],
    ];
    for (const path of paths) {
      for (const key of allowedKeysAt(manifestFileSchema, path)) {
        const lines = text.split("\n").filter((l) => new RegExp(`^[\\s#]*${key}:`).test(l));
        assert.ok(lines.length > 0, `starter shows ${[...path, key].join(".")}`);
        assert.ok(
          lines.some((l) => l.includes("#", l.indexOf(`${key}:`))),
          `starter explains ${key}`,
        );
      }
    }
  });

  it("turns any text into a valid project name", () => {
    assert.equal(projectNameFrom("My Shop!"), "my-shop");
    assert.equal(projectNameFrom("__"), "app");
    assert.equal(parseManifest(starterManifest("2024"), "rampart.yaml").name, "2024");
    assert.equal(parseManifest(starterManifest("Über App"), "rampart.yaml").name, "ber-app");
  });
});
