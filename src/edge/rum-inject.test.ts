import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { injectable, prepareFlat, prepareObject, RumInjector } from "./rum-inject.ts";
import { signRumToken, verifyRumToken } from "./rum-token.ts";

const TAG = "<script data-x></script>";

function run(chunks: string[]): string {
  const injector = new RumInjector(TAG);
  const out = chunks.map((c) => injector.push(Buffer.from(c, "latin1")));
  out.push(injector.end());
  return Buffer.concat(out).toString("latin1");
}

describe("RUM injection", () => {
  it("puts the tag right after <head …>, also when the tag is split across chunks", () => {
    assert.equal(run(["<!doctype html><html><head lang=en><title>x</title></head><body>hi</body></html>"]).indexOf(TAG), 35);
    const split = run(["<!doctype html><html><he", "ad", ">", "<title>x</title></head><body>hi</body></html>"]);
    assert.equal(split, `<!doctype html><html><head>${TAG}<title>x</title></head><body>hi</body></html>`);
  });

  it("does not take <header> for <head>, falls back to before <body>, then to the end of the page", () => {
    assert.equal(run(["<html><body><header>x</header></body></html>"]), `<html>${TAG}<body><header>x</header></body></html>`);
    assert.equal(run(["<p>hello</p>"]), `<p>hello</p>${TAG}`);
    const big = `<div>${"x".repeat(20_000)}</div>`;
    const injector = new RumInjector(TAG);
    assert.equal(injector.push(Buffer.from(big)).length, big.length, "past 16 KiB the page streams on");
    assert.equal(injector.push(Buffer.from("<head>")).toString(), "<head>", "only the first 16 KiB are looked at");
    assert.equal(injector.end().toString(), TAG);
  });

  it("only touches uncompressed 200 HTML pages with a body", () => {
    assert.equal(injectable("GET", 200, "text/html; charset=utf-8", undefined), true);
    assert.equal(injectable("GET", 200, "TEXT/HTML", "identity"), true);
    assert.equal(injectable("GET", 200, "text/html", "gzip"), false);
    assert.equal(injectable("HEAD", 200, "text/html", undefined), false);
    assert.equal(injectable("GET", 304, "text/html", undefined), false);
    assert.equal(injectable("GET", 200, "application/json", undefined), false);
    assert.equal(injectable("GET", 200, "text/htmlx", undefined), false);
    assert.equal(injectable("GET", 200, undefined, undefined), false);
  });

  it("drops Content-Length and weakens a strong ETag of a page it changes, and leaves others alone", () => {
    const flat = ["content-type", "text/html", "content-length", "120", "etag", '"abc"', "x-a", "1"];
    assert.equal(prepareFlat("GET", 200, flat), true);
    assert.deepEqual(flat, ["content-type", "text/html", "etag", 'W/"abc"', "x-a", "1"]);
    const json = ["content-type", "application/json", "content-length", "2"];
    assert.equal(prepareFlat("GET", 200, json), false);
    assert.deepEqual(json, ["content-type", "application/json", "content-length", "2"]);
    assert.deepEqual(prepareObject("GET", 200, { "content-type": "text/html", "content-length": "9", etag: 'W/"x"' }), {
      "content-type": "text/html",
      etag: 'W/"x"',
    });
    assert.equal(prepareObject("GET", 200, { "content-type": "text/html", "content-encoding": "br" }), undefined);
  });
});

describe("RUM tokens", () => {
  const key = Buffer.alloc(32, 7);
  it("carry the app and release they were signed for, in that environment only", () => {
    const token = signRumToken(key, "production", "web", 12, 1_000_000);
    assert.deepEqual(verifyRumToken(key, "production", token, 1_000_100), { app: "web", release: 12, issuedSec: 1_000_000 });
    assert.match(String(verifyRumToken(key, "staging", token, 1_000_100)), /signature/);
    assert.match(String(verifyRumToken(Buffer.alloc(32, 8), "production", token, 1_000_100)), /signature/);
  });

  it("refuse a changed release, app or time, a malformed token, and an expired one", () => {
    const token = signRumToken(key, "production", "web", 12, 1_000_000);
    assert.match(String(verifyRumToken(key, "production", token.replace(":12:", ":11:"), 1_000_100)), /signature/);
    assert.match(String(verifyRumToken(key, "production", token.replace("web:", "api:"), 1_000_100)), /signature/);
    assert.match(String(verifyRumToken(key, "production", token.replace(":1000000:", ":1000001:"), 1_000_100)), /signature/);
    assert.match(String(verifyRumToken(key, "production", "web:12:x", 1_000_100)), /malformed/);
    assert.match(String(verifyRumToken(key, "production", token, 1_000_000 + 8 * 86_400)), /expired/);
    assert.match(String(verifyRumToken(key, "production", token, 1_000_000 - 3600)), /future/);
  });
});
