import { fileURLToPath } from "node:url";

const STRIP_HOOK = fileURLToPath(new URL("../../bin/strip-types.mjs", import.meta.url));
/** Installed with `npm install -g`, Rampart's .ts files sit under node_modules, where Node will not strip types. */
const UNDER_NODE_MODULES = fileURLToPath(import.meta.url).includes("/node_modules/");

/**
 * The arguments that run one of Rampart's own scripts (the edge, an instance runner) in a child Node process,
 * with the type-stripping hook when Rampart is installed under node_modules. Passed as arguments, not through
 * NODE_OPTIONS, so apps started by the runner never inherit the hook.
 */
export function ownScriptArgs(script: string, args: readonly string[] = []): string[] {
  return UNDER_NODE_MODULES ? ["--import", STRIP_HOOK, script, ...args] : [script, ...args];
}
