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
export function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PathSegment[],
  at: "key" | "value" = "value",
): Position {
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

function contains(node: unknown, offset: number): boolean {
  const range = isNode(node) ? node.range : undefined;
  return range !== undefined && range !== null && offset >= range[0] && offset < range[2];
}

/** The key path of the deepest node at `offset`, for YAML errors (e.g. a duplicate key). */
export function pathAtOffset(doc: Document, offset: number): PathSegment[] {
  const path: PathSegment[] = [];
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((item) => contains(item.key, offset) || contains(item.value, offset));
      if (pair === undefined) return path;
      const key = keyOf(pair);
      path.push(typeof key === "number" ? key : String(key));
      if (contains(pair.key, offset)) return path;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => contains(item, offset));
      if (index < 0) return path;
      path.push(index);
      node = node.items[index];
    } else {
      return path;
    }
  }
}

/** `apps.web.routes[0]`: dots between keys, brackets for list items. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    out += typeof segment === "number" ? `[${segment}]` : out === "" ? segment : `.${segment}`;
  }
  return out;
}
