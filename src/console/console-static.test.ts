import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { localTokenAuthenticator } from "../access/local-authenticator.ts";
import { buildApiServer } from "../api/api-server.ts";
import { consoleStatic } from "./console-static.ts";

const TOKEN = "t".repeat(40);
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function server(dir: string) {
  return buildApiServer({
    routes: [],
    streams: [],
    protocols: [consoleStatic(dir)],
    authenticator: localTokenAuthenticator(TOKEN),
    protection: { isProtected: () => false },
    clock: { now: () => Date.now() },
    version: "test",
    dataDir: dir,
  });
}

function built(): string {
  const dir = mkdtempSync(join(tmpdir(), "rampart-console-"));
  dirs.push(dir);
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>Rampart</title>");
  writeFileSync(join(dir, "assets", "index-abc123.js"), "console.log(1)");
  writeFileSync(join(dir, "assets", "index-abc123.css"), "body{}");
  return dir;
}

test("the console's files are served at / with their content types, cache headers and a same-origin CSP", async () => {
  const app = server(built());
  const index = await app.inject({ method: "GET", url: "/" });
  assert.equal(index.statusCode, 200);
  assert.equal(index.headers["content-type"], "text/html; charset=utf-8");
  assert.equal(index.headers["cache-control"], "no-cache");
  assert.match(String(index.headers["content-security-policy"]), /default-src 'self'; script-src 'self'/);
  assert.match(String(index.headers["content-security-policy"]), /frame-ancestors 'none'/);
  assert.equal(index.headers["x-content-type-options"], "nosniff");

  const js = await app.inject({ method: "GET", url: "/assets/index-abc123.js" });
  assert.equal(js.statusCode, 200);
  assert.equal(js.headers["content-type"], "text/javascript; charset=utf-8");
  assert.equal(js.headers["cache-control"], "public, max-age=31536000, immutable");
  const css = await app.inject({ method: "GET", url: "/assets/index-abc123.css" });
  assert.equal(css.headers["content-type"], "text/css; charset=utf-8");

  // The console routes in the URL's hash: any other path, an old asset included, is the API's JSON 404.
  for (const url of ["/apps/production/web", "/assets/index-old.js", "/nope"]) {
    const missing = await app.inject({ method: "GET", url });
    assert.equal(missing.statusCode, 404, url);
    assert.equal(missing.json().error.code, "not_found");
  }
  await app.close();
});

test("paths under /api keep the API's JSON 404 and its authentication", async () => {
  const app = server(built());
  const missing = await app.inject({ method: "GET", url: "/api/v1/nothing-here" });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error.code, "not_found");
  assert.match(missing.json().error.hint, /openapi/);
  const openapi = await app.inject({ method: "GET", url: "/api/v1/openapi.json" });
  assert.equal(openapi.statusCode, 401, "the API still asks who is calling");
  await app.close();
});

test("without a build the API works and / says how to build the console; a later build is picked up", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-console-"));
  dirs.push(dir);
  const app = server(dir);
  const page = await app.inject({ method: "GET", url: "/" });
  assert.equal(page.statusCode, 503);
  assert.match(page.body, /npm install/);
  assert.match(page.body, /npm run build:console/);
  const health = await app.inject({ method: "GET", url: "/api/v1/openapi.json", headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(health.statusCode, 200);
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>Rampart</title>");
  const later = await app.inject({ method: "GET", url: "/" });
  assert.equal(later.statusCode, 200);
  await app.close();
});
