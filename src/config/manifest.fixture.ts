import fc from "fast-check";
import { stringify } from "yaml";

/**
 * Generated rampart.yaml files for the property tests: mostly a valid manifest with a few random edits (the
 * mistakes people make: wrong types, unknown or misspelt keys, bad units, missing keys), some random structures,
 * some raw text, and text-level damage (a deleted character, a tab, a duplicated line).
 */

export const MANIFEST_FILE = "rampart.yaml";

const KNOWN_KEYS = [
  "name",
  "environments",
  "apps",
  "port",
  "bind",
  "protected",
  "tls",
  "cert",
  "key",
  "pin_from",
  "tracing",
  "sample",
  "slow",
  "limits",
  "header_timeout",
  "idle_timeout",
  "max_header_size",
  "http2",
  "cleartext",
  "source",
  "build",
  "run",
  "instances",
  "routes",
  "hosts",
  "health",
  "path",
  "interval",
  "timeout",
  "start_timeout",
  "unhealthy_threshold",
  "drain",
  "env",
  "release",
  "strategy",
  "steps",
  "pause",
  "keep_warm",
  "settle",
  "hold_timeout",
  "guards",
  "error_rate",
  "p99_latency",
  "p50_latency",
  "lcp_p75",
  "rum",
  "body",
  "rate",
  "burst",
  "sticky",
  "cookie",
  "header",
  "headers",
  "underscores",
  "staging",
  "production",
  "web",
  "api",
];
const ODD_KEYS = [
  "",
  " ",
  "helth",
  "Name",
  "__proto__",
  "constructor",
  "toString",
  "a.b",
  "0",
  "-1",
  "PORT",
  "web ",
  "Web",
  "ünï",
  "x".repeat(300),
];
const UNIT_TEXT = [
  "1s",
  "500ms",
  "5m",
  "1h",
  "1m30s",
  "30s1m",
  "1 sec",
  "-1s",
  "0s",
  "0ms",
  "1.5s",
  "1e3ms",
  "ms",
  "s",
  "10",
  "1%",
  "0.5%",
  "150%",
  "-1%",
  "1.5x",
  "0.5x",
  "1x",
  "x",
  "2x",
  "10mb",
  "1kb",
  "0b",
  "5gb",
  "100/s",
  "0/s",
  "/s",
  "6000/m",
  "abc",
  "",
  " ",
  "∞",
  "1_000ms",
  "NaN",
  "Infinity",
  "596h",
  "597h",
  "100000h",
  `${"9".repeat(400)}s`,
  `${"9".repeat(400)}kb`,
  "0.0001ms",
  "/",
  "/api",
  "api",
  "rolling",
  "canary",
  "blue-green",
  "blue_green",
  "0.0.0.0",
  "127.0.0.1",
  "::1",
  "localhost",
  "10.0.0.0/8",
  "10.0.0.0/33",
  "shop.example.com",
  "http://x",
  "node server.js",
  "./web",
  "session_id",
  "bad header",
  "yes",
  "no",
  "~",
  "null",
  "true",
];

const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KNOWN_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_KEYS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

const scalar = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...UNIT_TEXT) },
  { weight: 2, arbitrary: fc.integer({ min: -100, max: 70_000 }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, 1e308, 2 ** 53 + 1)) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 10 }) },
);

const { node } = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 4, arbitrary: scalar },
    { weight: 1, arbitrary: fc.array(tie("node"), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.dictionary(key, tie("node"), { maxKeys: 4 }) },
  ),
}));

/** A manifest that loads, to be edited. */
const BASE = {
  name: "shop",
  environments: { staging: { port: 8081 }, production: { port: 8080, protected: true, limits: { header_timeout: "10s" } } },
  apps: {
    web: {
      source: "./web",
      run: "node server.js",
      instances: 2,
      routes: ["/"],
      health: { path: "/healthz", interval: "1s", timeout: "1s" },
      drain: "10s",
      timeout: "30s",
      env: { LOG_LEVEL: "info" },
      release: { strategy: "canary", steps: [5, 25, 50, 100], pause: "30s", guards: { error_rate: "1%", p99_latency: "1.5x" } },
      environments: { staging: { instances: 1 } },
    },
    api: {
      source: "./api",
      run: "node api.js",
      routes: ["/api"],
      limits: { body: "1mb", rate: "100/s", burst: 200 },
      sticky: { cookie: "sid" },
    },
  },
};

type Edit = { path: string[]; value: unknown; remove: boolean };

/** Every key path of BASE, so an edit can replace exactly one setting (the commonest mistake: one bad value). */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [prefix];
  return [prefix, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, k]))].filter((p) => p.length > 0);
}
const BASE_PATHS = pathsOf(BASE);

const edit: fc.Arbitrary<Edit> = fc.oneof(
  // One existing setting gets another value (often a unit string), or goes away.
  fc.record({ path: fc.constantFrom(...BASE_PATHS), value: node, remove: fc.integer({ min: 0, max: 3 }).map((n) => n === 0) }),
  // A key anywhere, known or not.
  fc.record({ path: fc.array(key, { minLength: 1, maxLength: 5 }), value: node, remove: fc.boolean() }),
);

/** Applies an edit along existing keys where it can, so most edits land somewhere meaningful. */
function applyEdit(root: Record<string, unknown>, { path, value, remove }: Edit): void {
  let target: Record<string, unknown> = root;
  for (const [i, segment] of path.entries()) {
    const keys = Object.keys(target);
    // A generated key that does not exist here is, half of the time, swapped for one that does, so edits land deep.
    const name =
      Object.hasOwn(target, segment) || keys.length === 0 || segment.length % 2 === 1
        ? segment
        : (keys[segment.length % keys.length] ?? segment);
    if (i === path.length - 1) {
      if (remove) delete target[name];
      else Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
      return;
    }
    const next = Object.hasOwn(target, name) ? target[name] : undefined;
    if (next === null || typeof next !== "object" || Array.isArray(next)) {
      const created: Record<string, unknown> = {};
      Object.defineProperty(target, name, { value: created, enumerable: true, writable: true, configurable: true });
      target = created;
    } else {
      target = next as Record<string, unknown>;
    }
  }
}

const editedManifest = fc.array(edit, { minLength: 0, maxLength: 3 }).map((edits) => {
  const doc = structuredClone(BASE) as Record<string, unknown>;
  for (const e of edits) applyEdit(doc, e);
  return doc;
});

const toYaml = (value: unknown, flow: boolean) =>
  stringify(value, { flowCollectionPadding: flow, collectionStyle: flow ? "flow" : "any", lineWidth: 0 });

/** Text-level damage: what an editor, a paste or a merge conflict does to a file. */
const damage = fc.oneof(
  { weight: 6, arbitrary: fc.constant((text: string) => text) },
  {
    weight: 1,
    arbitrary: fc.nat().map((n) => (text: string) => text.slice(0, n % (text.length + 1)) + text.slice((n % (text.length + 1)) + 1)),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.nat(), fc.constantFrom("\t", ":", "-", "[", "{", "'", '"', "&a ", "*a", "#", "\n", "? ", "!!str ", "%")).map(
      ([n, c]) =>
        (text: string) =>
          text.slice(0, n % (text.length + 1)) + c + text.slice(n % (text.length + 1)),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.nat().map((n) => (text: string) => {
      const lines = text.split("\n");
      lines.splice(n % lines.length, 0, lines[n % lines.length] ?? "");
      return lines.join("\n");
    }),
  },
);

/** One generated rampart.yaml. */
export const manifestCase: fc.Arbitrary<string> = fc.oneof(
  { weight: 14, arbitrary: fc.tuple(editedManifest, fc.boolean(), damage).map(([doc, flow, hurt]) => hurt(toYaml(doc, flow))) },
  { weight: 4, arbitrary: fc.tuple(node, fc.boolean()).map(([value, flow]) => toYaml(value, flow)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "",
      "---",
      "~",
      "[]",
      "{}",
      "- a\n- b",
      "name: x\n---\nname: y",
      "a: &a [*a]",
      "x: *nope",
      `${"[".repeat(3000)}`,
      "a: !!binary AAAA",
      "!!set {a, b}",
      "? [a, b]\n: c",
    ),
  },
);
