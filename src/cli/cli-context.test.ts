import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { dataDirOf, findProjectDir, manifestPathOf } from "./cli-context.ts";

describe("finding the project from a subfolder", () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "rampart-project-")));
  writeFileSync(join(root, "rampart.yaml"), "name: p\n");
  const deep = join(root, "web", "src", "lib");
  mkdirSync(deep, { recursive: true });

  it("walks up to the nearest folder with rampart.yaml or .rampart/, as git finds .git", () => {
    assert.equal(findProjectDir(deep), root);
    assert.equal(findProjectDir(root), root);
    const nested = join(root, "web", "tools");
    mkdirSync(join(nested, ".rampart"), { recursive: true });
    assert.equal(findProjectDir(join(nested)), nested, "the nearest wins");
    writeFileSync(join(root, "web", ".rampart"), "a file, not a data dir");
    assert.equal(findProjectDir(join(root, "web", "src")), root, "a file named .rampart is not a data dir");
  });

  it("defaults --data and --config to the project's, while --data and RAMPART_DATA still win", () => {
    const cwd = process.cwd();
    const saved = process.env.RAMPART_DATA;
    try {
      process.chdir(deep);
      delete process.env.RAMPART_DATA;
      assert.equal(dataDirOf({}), join(root, ".rampart"));
      assert.equal(manifestPathOf(undefined), join(root, "rampart.yaml"));
      assert.equal(manifestPathOf("other.yaml"), join(deep, "other.yaml"));
      assert.equal(dataDirOf({ data: "d" }), join(deep, "d"));
      process.env.RAMPART_DATA = "/srv/rampart";
      assert.equal(dataDirOf({}), "/srv/rampart");
    } finally {
      process.chdir(cwd);
      if (saved === undefined) delete process.env.RAMPART_DATA;
      else process.env.RAMPART_DATA = saved;
    }
  });
});
