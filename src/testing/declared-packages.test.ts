import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

// Static and dynamic imports, require() (also inside app sources the tests write out) and createRequire(...)("x").
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+|\)\s*\(\s*)["']([^"'\s]+)["']/g;
const PACKAGE_NAME = /^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*/;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (/\.(ts|mjs|cjs|js)$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** The packages a file loads, by name (a deep import such as `pkg/sub` counts as `pkg`). */
function packagesOf(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? "";
    if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:")) continue;
    const name = PACKAGE_NAME.exec(specifier)?.[0];
    if (name === undefined || builtinModules.includes(name.split("/")[0] ?? "")) continue;
    names.push(specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : name);
  }
  return names;
}

describe("package.json", () => {
  it("declares every package the code and the tests load (a transitive one may vanish on any upgrade)", () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]);
    const undeclared: string[] = [];
    const self = fileURLToPath(import.meta.url); // its examples below are not imports
    const files = [...sourceFiles(join(ROOT, "src")), ...sourceFiles(join(ROOT, "packages")), ...sourceFiles(join(ROOT, "bench"))];
    for (const file of files.filter((f) => f !== self)) {
      for (const name of packagesOf(readFileSync(file, "utf8")))
        if (!declared.has(name)) undeclared.push(`${name} (${file.slice(ROOT.length)})`);
    }
    assert.deepEqual(undeclared, [], "add each with npm install --save-dev --save-exact NAME");
  });

  it("finds imports in every form the tree uses", () => {
    const text = [
      'import fc from "fast-check";',
      'import { x } from "@scope/pkg/sub";',
      'const m = await import("dyn");',
      'const app = `require("embedded")`;',
      'createRequire(import.meta.url)("murmurhash3js");',
      'import "side-effect";',
      'import { readFileSync } from "node:fs";',
      'import { y } from "./local.ts";',
      'import { EventEmitter } from "events";',
    ].join("\n");
    assert.deepEqual(packagesOf(text), ["fast-check", "@scope/pkg", "dyn", "embedded", "murmurhash3js", "side-effect"]);
  });
});
