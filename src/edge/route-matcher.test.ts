import assert from "node:assert/strict";
import { test } from "node:test";
import { compileTable } from "./compiled-table.ts";
import { hostWithoutPort, matchRoute, originFormTarget } from "./route-matcher.ts";
import type { EdgeRoute } from "./routing-table.types.ts";

const routes: EdgeRoute[] = [
  { app: "root", hosts: null, prefix: "/" },
  { app: "api", hosts: null, prefix: "/api" },
  { app: "v2", hosts: null, prefix: "/api/v2" },
  { app: "docs", hosts: null, prefix: "/docs/" },
  { app: "shop-api", hosts: ["Shop.Example.com"], prefix: "/api" },
  { app: "admin", hosts: ["admin.example.com"], prefix: "/" },
];
const apps = ["root", "api", "v2", "docs", "shop-api", "admin"].map((name) => ({ name, upstreamTimeoutMs: 1000, releases: [] }));
const env = compileTable({ version: 1, environments: [{ name: "e", bind: "127.0.0.1", port: 1, routes, apps }] }).environments[0];

function appFor(host: string | undefined, path: string): string | undefined {
  assert.ok(env !== undefined);
  return matchRoute(env, host, path)?.app.name;
}

test("longest prefix wins, on path segment boundaries", () => {
  assert.equal(appFor("x", "/"), "root");
  assert.equal(appFor("x", "/api"), "api");
  assert.equal(appFor("x", "/api/"), "api");
  assert.equal(appFor("x", "/api/x"), "api");
  assert.equal(appFor("x", "/api?q=1"), "api");
  assert.equal(appFor("x", "/apiary"), "root");
  assert.equal(appFor("x", "/api/v2"), "v2");
  assert.equal(appFor("x", "/api/v2/users?x"), "v2");
  assert.equal(appFor("x", "/api/v22"), "api");
  assert.equal(appFor("x", "/docs/intro"), "docs");
  assert.equal(appFor("x", "/docs"), "root");
});

test("a route with hosts beats a host-less one at equal length, never a longer prefix", () => {
  assert.equal(appFor("shop.example.com", "/api/x"), "shop-api");
  assert.equal(appFor("SHOP.example.COM:8080", "/api"), "shop-api");
  assert.equal(appFor("shop.example.com.", "/api"), "shop-api");
  assert.equal(appFor("shop.example.com", "/api/v2/x"), "v2");
  assert.equal(appFor("admin.example.com", "/"), "admin");
  assert.equal(appFor("admin.example.com", "/api"), "api");
  assert.equal(appFor(undefined, "/api"), "api");
});

test("no match without a catch-all", () => {
  const only = compileTable({
    version: 1,
    environments: [
      {
        name: "e",
        bind: "b",
        port: 1,
        routes: [{ app: "a", hosts: null, prefix: "/a" }],
        apps: [{ name: "a", upstreamTimeoutMs: 1, releases: [] }],
      },
    ],
  }).environments[0];
  assert.ok(only !== undefined);
  assert.equal(matchRoute(only, "x", "/b"), undefined);
  assert.equal(matchRoute(only, "x", "*"), undefined);
});

test("host port stripping and origin-form targets", () => {
  assert.equal(hostWithoutPort("[::1]:8080"), "[::1]");
  assert.equal(hostWithoutPort("Example.com"), "example.com");
  assert.equal(originFormTarget("/a?b"), "/a?b");
  assert.equal(originFormTarget("http://h:1/a/b?c"), "/a/b?c");
  assert.equal(originFormTarget("http://h:1"), "/");
  assert.equal(originFormTarget("http://h?x=1"), "/?x=1");
});
