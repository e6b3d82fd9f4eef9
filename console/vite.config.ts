import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The console is built into console/dist (not committed; `npm install` runs the build) and served by the control
 * plane at `/` (src/console/console-static.ts). It uses the CLI's typed client (src/client/api-client.ts): its TLS
 * trust resolves to a browser stand-in through package.json "imports" (the "browser" condition), and the stream
 * reconnect's node:timers/promises to the one here.
 */
export default defineConfig({
  root: here("."),
  base: "/",
  logLevel: "warn",
  build: { outDir: here("dist"), emptyOutDir: true, target: "es2022", sourcemap: false, reportCompressedSize: false },
  resolve: {
    alias: [{ find: "node:timers/promises", replacement: here("src/shims/timers.browser.ts") }],
  },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
});
