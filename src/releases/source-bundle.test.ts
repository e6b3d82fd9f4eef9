import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { snapshotSource } from "./artifact-snapshot.ts";
import { defaultBundleLimits, packSource, unpackSource } from "./source-bundle.ts";

const temp = () => mkdtempSync(join(tmpdir(), "rampart-bundle-"));
const sha = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");

function sourceTree(): string {
  const dir = temp();
  const write = (path: string, text: string) => {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write("server.js", "console.log('hi')");
  write("lib/util.js", "export {}");
  write(".gitignore", "dist/\n*.log\n");
  write(".rampartignore", "secrets.local\n");
  write("lib/.gitignore", "generated.js\n");
  write("lib/generated.js", "left out by the nested .gitignore");
  write("dist/bundle.js", "left out");
  write("debug.log", "left out");
  write("secrets.local", "left out by .rampartignore");
  write("node_modules/x/index.js", "left out");
  write("__pycache__/m.pyc", "left out");
  write(".venv/bin/python", "left out");
  symlinkSync("lib/util.js", join(dir, "current.js"));
  return dir;
}

/** A bundle built by hand, to say what a hostile client could send. */
function craft(entries: Record<string, unknown>[], content = Buffer.alloc(0), format = "rampart-source/1"): Buffer {
  return gzipSync(Buffer.concat([Buffer.from(`${JSON.stringify({ format, entries })}\n`), content]));
}
const file = (path: string, text: string) => ({ type: "file", mode: 644, path, sha256: sha(text), size: Buffer.byteLength(text) });
const link = (path: string, target: string) => ({
  type: "link",
  mode: 777,
  path,
  sha256: sha(target),
  size: Buffer.byteLength(target),
  target,
});

describe("source bundles (deploys from elsewhere)", () => {
  it("leave out what .gitignore (nested too), .rampartignore and the defaults say, and unpack into the same artifact a local deploy makes", async () => {
    const dir = sourceTree();
    const bundle = await packSource(dir);
    const target = temp();
    const unpacked = await unpackSource(bundle.gzip, target);
    assert.equal(unpacked.digest, bundle.digest);
    const local = await snapshotSource({ sourceDir: dir, artifactsRoot: join(temp(), "art") });
    assert.equal(local.digest, bundle.digest, "same tree, same artifact, wherever it was packed");
    assert.deepEqual(readdirSync(target).sort(), [".gitignore", ".rampartignore", "current.js", "lib", "server.js"]);
    assert.deepEqual(readdirSync(join(target, "lib")).sort(), [".gitignore", "util.js"]);
  });

  it("refuses paths outside the root, links out, duplicates and entries under files, each naming the entry", async () => {
    const cases: [Record<string, unknown>[], string, RegExp][] = [
      [[file("../escape.js", "x")], "x", /outside its root/],
      [[file("/etc/cron.d/x", "x")], "x", /outside its root/],
      [[file("a/./b", "x")], "x", /normal form/],
      [[link("l", "../../etc/passwd")], "", /l links outside the source/],
      [[link("l", "/etc/passwd")], "", /links to an absolute path/],
      [[file("a", "x"), file("a", "x")], "xx", /lists a twice/],
      [[link("d", "e"), file("d/f", "x")], "x", /d\/f is inside d/],
      [[file("a", "x")], "y", /does not match its listed sha256/],
      [[file("a", "xy")], "x", /has 1 content bytes where its listing says 2/],
      [[{ ...file("a", "x"), mode: 4755 }], "x", /not a rampart-source\/1 listing/],
    ];
    for (const [entries, content, expected] of cases) {
      const target = temp();
      await assert.rejects(unpackSource(craft(entries, Buffer.from(content)), target), (e: Error & { code?: string }) => {
        assert.match(e.message, expected);
        assert.equal(e.code, "invalid_bundle");
        return true;
      });
      assert.equal(existsSync(join(target, "..", "escape.js")), false);
    }
  });

  it("refuses oversized, over-many, decompression bombs and non-gzip input before writing", async () => {
    const limits = { ...defaultBundleLimits, maxBytes: 1024 * 1024, maxFiles: 3 };
    const many = [file("a", ""), file("b", ""), file("c", ""), file("d", "")];
    await assert.rejects(unpackSource(craft(many), temp(), limits), /4 entries; at most 3/);
    const zeros = Buffer.alloc(80 * 1024 * 1024);
    await assert.rejects(unpackSource(craft([file("z", "")], zeros), temp(), limits), /unpacks to more than 1048576 bytes/);
    await assert.rejects(unpackSource(Buffer.from("not gzip"), temp(), limits), /not valid gzip/);
    await assert.rejects(unpackSource(craft([], Buffer.alloc(0), "tar"), temp(), limits), /not a rampart-source\/1 listing/);
    await assert.rejects(unpackSource(Buffer.alloc(10), temp(), { ...limits, maxCompressedBytes: 5 }), /at most 5 are taken/);
  });
});
