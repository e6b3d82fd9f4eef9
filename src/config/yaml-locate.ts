import { isAlias, isMap, isNode, isScalar, isSeq, type Document, type LineCounter, type Pair } from "yaml";

/**
 * Maps key paths to places in the YAML source and back, so every problem can name its line.
 * When the exact node does not exist (a missing key), the nearest existing parent is used.
 */

export type PathSegment = string | number;
export type Position = { line: number; column: number };

function deref(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function keyOf(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

function startOf(node: unknown): number | undefined {
  return isNode(node) ? node.range?.[0] : undefined;
}

/** Where `path` is: its value, or with at: "key" the key that names it (for unknown keys). */
export function locate(doc: Document, lineCounter: LineCounter, path: readonly PathSegment[], at: "key" | "value" = "value"): Position {
  let node: unknown = deref(doc, doc.contents);
  let offset = startOf(node) ?? 0;
  for (const [i, segment] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      // The last of duplicate keys is the one that counts, as in toJS().
      const pair = node.items.findLast((item) => String(keyOf(item)) === String(segment));
      if (pair === undefined) break;
      const keyStart = startOf(pair.key) ?? offset;
      node = deref(doc, pair.value);
      // Above the last segment the key is the anchor: a block map's own range starts at its first child.
      offset = last && at === "value" ? (startOf(node) ?? keyStart) : keyStart;
    } else if (isSeq(node) && typeof segment === "number" && segment < node.items.length) {
      node = deref(doc, node.items[segment]);
      offset = startOf(node) ?? offset;
    } else {
      break;
    }
  }
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/** A key that would read as something else in a dotted path (empty, spaces, dots, brackets) is quoted. */
const PLAIN_KEY = /^[\p{L}\p{N}_-]+$/u;

/** `apps.web.routes[0]`: dots between keys, brackets for list items, `apps["my app"]` for keys that need quotes. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (!PLAIN_KEY.test(segment)) out += `[${JSON.stringify(segment)}]`;
    else out += out === "" ? segment : `.${segment}`;
  }
  return out;
}

/**
 * Every key that repeats an earlier key of its mapping, with its path and where it is. Found by walking the
 * document rather than from the parser's error offset, which points before the key when the first one has no value.
 */
export function duplicateKeys(doc: Document): { path: PathSegment[]; offset: number }[] {
  const found: { path: PathSegment[]; offset: number }[] = [];
  const visit = (node: unknown, path: PathSegment[], depth: number): void => {
    // Bounded like the YAML itself; the depth guard only stops a pathological document from exhausting the stack.
    if (depth > 200) return;
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = keyOf(pair);
        const name = typeof key === "number" ? key : String(key);
        if (seen.has(String(name))) found.push({ path: [...path, name], offset: startOf(pair.key) ?? 0 });
        seen.add(String(name));
        visit(pair.value, [...path, name], depth + 1);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visit(item, [...path, i], depth + 1));
    }
  };
  visit(doc.contents, [], 0);
  return found;
}
