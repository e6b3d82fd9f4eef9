import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ignoreDataDir } from "./gitignore.ts";

const project = () => mkdtempSync(join(tmpdir(), "rampart-gitignore-"));

describe("ignoreDataDir", () => {
  it("creates .gitignore with the data dir, once however often it runs", () => {
    const dir = project();
    assert.equal(ignoreDataDir(dir, join(dir, ".rampart")), "/.rampart/");
    assert.equal(ignoreDataDir(dir, join(dir, ".rampart")), null);
    const text = readFileSync(join(dir, ".gitignore"), "utf8");
    assert.equal(text.match(/^\/\.rampart\/$/gm)?.length, 1, text);
  });

  it("appends to an existing .gitignore (even one without a final newline), keeping what is there", () => {
    const dir = project();
    writeFileSync(join(dir, ".gitignore"), "node_modules\n*.log");
    ignoreDataDir(dir, join(dir, ".rampart"));
    const lines = readFileSync(join(dir, ".gitignore"), "utf8").split("\n");
    assert.deepEqual(lines.slice(0, 2), ["node_modules", "*.log"]);
    assert.ok(lines.includes("/.rampart/"), lines.join("\n"));
  });

  it("leaves a .gitignore that already ignores it in any spelling alone", () => {
    for (const spelling of [".rampart", ".rampart/", "/.rampart", "  /.rampart/  "]) {
      const dir = project();
      writeFileSync(join(dir, ".gitignore"), `dist\n${spelling}\n`);
      assert.equal(ignoreDataDir(dir, join(dir, ".rampart")), null, spelling);
      assert.equal(readFileSync(join(dir, ".gitignore"), "utf8"), `dist\n${spelling}\n`);
    }
  });

  it("names another data dir inside the project, and none outside it", () => {
    const dir = project();
    assert.equal(ignoreDataDir(dir, join(dir, "var", "rampart")), "/var/rampart/");
    assert.equal(ignoreDataDir(dir, join(tmpdir(), "elsewhere")), null);
  });
});
