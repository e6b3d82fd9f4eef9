import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "node:test";

const EDGE = dirname(fileURLToPath(import.meta.url));
const SRC = resolve(EDGE, "..");

/** Every module a file under src/edge imports (relative specifiers, resolved; tests included). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.[^"']+)["']/g)].map((m) => m[1] as string);
  return specifiers.map((s) => relative(SRC, resolve(dirname(file), s)));
}

it("the edge is only the data plane: nothing under src/edge touches the store or the control plane", () => {
  const offending: string[] = [];
  for (const name of readdirSync(EDGE).filter((n) => n.endsWith(".ts"))) {
    for (const target of importsOf(join(EDGE, name))) {
      const touchesStore = target.startsWith("db/") || target.endsWith(".store.ts");
      const controlPlane = target.startsWith("traffic/") || target.startsWith("daemon/") || target.startsWith("events/");
      if (touchesStore || controlPlane) offending.push(`src/edge/${name} imports src/${target}`);
    }
  }
  assert.deepEqual(
    offending,
    [],
    "the edge runs as its own process and must never touch the store: move control-plane code to src/traffic/",
  );
});
