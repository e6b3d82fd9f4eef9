/**
 * Source of the app the end-to-end tests deploy: plain node:http, answers with its release and instance,
 * and misbehaves on request through its environment (so a test can deploy a release that never gets healthy).
 */
export const TEST_APP_SERVER = `
import { createServer } from "node:http";
import { existsSync, readFileSync } from "node:fs";
const version = existsSync("VERSION") ? readFileSync("VERSION", "utf8").trim() : "1";
const port = Number(process.env.PORT);
const mode = process.env.TEST_MODE ?? "ok";
if (mode === "crash") { console.error("boom: crashing on start"); process.exit(3); }
if (mode === "missing-config") { const { createRequire } = await import("node:module"); createRequire(import.meta.url)("./config.json"); }
if (mode === "crash-later") setTimeout(() => { console.error("boom: crashing a while after start"); process.exit(4); }, Number(process.env.CRASH_AFTER_MS ?? 3000));
const server = createServer((req, res) => {
  if (req.url === "/healthz") {
    if (mode === "unhealthy") { res.statusCode = 500; return res.end("not ready"); }
    return res.end("ok");
  }
  if (req.url.startsWith("/slow")) return setTimeout(() => res.end("slow done"), 300);
  if (mode === "errors" && Math.random() < Number(process.env.ERROR_RATE ?? 0.2)) { res.statusCode = 500; return res.end("injected error"); }
  if (mode === "not-found") { res.statusCode = 404; return res.end("no such route"); }
  if (mode === "latency") return setTimeout(() => reply(req, res), Number(process.env.DELAY_MS ?? 50));
  reply(req, res);
});
function reply(req, res) {
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ release: process.env.RAMPART_RELEASE, instance: process.env.RAMPART_INSTANCE, version, path: req.url }));
}
server.keepAliveTimeout = 65000;
server.listen(port, "127.0.0.1", () => console.log("listening on " + port + " release " + process.env.RAMPART_RELEASE));
process.on("SIGTERM", () => { console.log("SIGTERM: closing"); server.close(() => process.exit(0)); });
`;
