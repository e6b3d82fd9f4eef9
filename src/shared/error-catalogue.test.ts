import assert from "node:assert/strict";
import { globSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { rawResponse } from "../edge/client-errors.ts";
import { type ErrorCode, errorCatalogue, isErrorCode } from "./error-catalogue.ts";
import { conflict, notFound, RampartError } from "./errors.ts";
import { renderErrorsDoc } from "./errors-doc.ts";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

/** The shipped source: what runs, not the tests (which may build wrong answers on purpose). */
const sources = globSync(["src/**/*.ts", "packages/*/src/**/*.ts", "bin/*"], { cwd: root.pathname })
  .filter((path) => !/\.(test|fixture)\.ts$/.test(path) && !path.endsWith("error-catalogue.ts"))
  .map((path) => ({ path, text: read(path) }));

/**
 * Every place a code is given as a literal: thrown, sent outside RampartError, or assigned to a typed variable.
 * Functions that return an `ErrorCode` (the API server's answer to Fastify's own errors, the edge's code by
 * status) are held to the catalogue by tsc.
 */
const CODE_SITES = [
  /(?:new RampartError|\bconflict)\(\s*"([a-z_]+)"/g,
  /new ApiError\(\s*[^,()]+,\s*"([a-z_]+)"/g,
  /\berror:\s*\{\s*code:\s*"([a-z_]+)"/g,
  /:\s*(?:Edge)?ErrorCode\s*=[^;]*?"([a-z_]+)"/g,
  /\bsendError\(\s*\w+,\s*"([a-z_]+)"/g,
];

function codesUsed(): Map<string, string> {
  const used = new Map<string, string>();
  for (const { path, text } of sources) {
    for (const pattern of CODE_SITES) {
      for (const match of text.matchAll(pattern)) used.set(match[1] as string, `${path}:${text.slice(0, match.index).split("\n").length}`);
    }
  }
  return used;
}

describe("the error catalogue", () => {
  it("docs/errors.md is what npm run docs:errors writes now", () => {
    const written = read("docs/errors.md");
    assert.ok(written === renderErrorsDoc(), "docs/errors.md is out of date with src/shared/error-catalogue.ts: run npm run docs:errors");
  });

  it("declares every code the source throws or sends", () => {
    const used = codesUsed();
    assert.ok(used.size > 20, `the scan found only ${[...used.keys()].join(", ")}: are the patterns still right?`);
    const undeclared = [...used].filter(([code]) => !isErrorCode(code)).map(([code, where]) => `${code} (${where})`);
    assert.deepEqual(undeclared, [], "declare these codes in src/shared/error-catalogue.ts, then run npm run docs:errors");
  });

  it("has no entry the source never produces", () => {
    const unused = (Object.keys(errorCatalogue) as ErrorCode[]).filter((code) => !sources.some(({ text }) => text.includes(`"${code}"`)));
    assert.deepEqual(unused, [], "remove these codes from the catalogue (and run npm run docs:errors), or use them");
  });

  it("gives every code a status that fits its origin, a meaning and a hint", () => {
    for (const [code, entry] of Object.entries(errorCatalogue)) {
      assert.match(code, /^[a-z][a-z_]*[a-z]$/, `${code}: codes are snake_case`);
      assert.ok(entry.meaning.length > 10 && entry.hint.length > 10, `${code}: write its meaning and hint`);
      if (entry.origin === "client") assert.equal(entry.status, 0, `${code}: a client-side code has no HTTP answer`);
      else assert.ok(entry.status >= 400 && entry.status < 600, `${code}: ${entry.status} is not an error status`);
      // A 5xx is a bug unless the operator's storage is at fault (the audit log's too: requests are refused
      // fail-closed when it cannot be written; the backups dir's) or the edge cannot reach the app.
      if (entry.origin === "api" && entry.status >= 500)
        assert.ok(["internal", "data_dir_full", "data_dir_read_only", "audit_unavailable", "backup_failed"].includes(code), code);
    }
  });

  it("RampartError takes its status and default hint from the catalogue; a throw site's hint wins", () => {
    const plain = new RampartError("unknown_app", "app x is not in rampart.yaml");
    assert.equal(plain.status, 404);
    assert.equal(plain.hint, errorCatalogue.unknown_app.hint);
    assert.equal(new RampartError("invalid_request", "bad", { hint: "send y" }).hint, "send y");
    assert.equal(conflict("stale_change", "changed meanwhile").status, 409);
    assert.equal(notFound("release 3").status, 404);
  });

  it("the edge answers each code with the catalogue's status", () => {
    const edge = sources.filter(({ path }) => path.startsWith("src/edge/"));
    const sites = [...edge.flatMap(({ path, text }) => [...text.matchAll(/\bfail\((\d{3}),\s*"([a-z_]+)"/g)].map((m) => ({ path, m })))];
    for (const { path, text } of edge) {
      for (const m of text.matchAll(/sendEdgeError\(\s*\w+,\s*\w+,\s*(\d{3}),\s*"([a-z_]+)"/g)) sites.push({ path, m });
    }
    assert.ok(sites.length >= 8, `found only ${sites.length} edge error sites: are the patterns still right?`);
    for (const { path, m } of sites) {
      const [, status, code = ""] = m;
      assert.ok(isErrorCode(code), `${path}: ${code} is not in the catalogue`);
      assert.equal(errorCatalogue[code].status, Number(status), `${path}: ${code} is answered with ${status}`);
    }
    // The raw answers the edge writes on a socket (framing errors, refused upgrades) name their code by status.
    for (const status of [400, 408, 413, 429, 431, 501, 502, 503, 504, 404]) {
      const body = rawResponse(status, "Reason", "message").split("\r\n\r\n")[1] ?? "";
      const { code } = (JSON.parse(body) as { error: { code: string } }).error;
      assert.ok(isErrorCode(code) && errorCatalogue[code].status === status, `a raw ${status} answers ${code}`);
    }
  });
});
