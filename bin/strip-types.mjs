// Node strips TypeScript types by itself, except under node_modules (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING),
// which is where `npm install -g` puts Rampart. This hook strips Rampart's own .ts files there the same way Node
// would (module.stripTypeScriptTypes), and nothing else: dependencies and apps load untouched.
import { registerHooks, stripTypeScriptTypes } from "node:module";

const root = new URL("../", import.meta.url).href;

// The same stripping Node does for files outside node_modules, where it prints no warning either.
const emitWarning = process.emitWarning;
process.emitWarning = function quietStripWarning(warning, ...rest) {
  if (String(typeof warning === "string" ? warning : warning?.message).includes("stripTypeScriptTypes")) return;
  return emitWarning.call(process, warning, ...rest);
};

registerHooks({
  load(url, context, nextLoad) {
    if (!url.startsWith(root) || !url.endsWith(".ts") || url.slice(root.length).includes("node_modules/")) return nextLoad(url, context);
    const loaded = nextLoad(url, { ...context, format: "module-typescript" });
    const source = typeof loaded.source === "string" ? loaded.source : Buffer.from(loaded.source).toString("utf8");
    return { format: "module", source: stripTypeScriptTypes(source, { mode: "strip", sourceUrl: url }), shortCircuit: true };
  },
});
