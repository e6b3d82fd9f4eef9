import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Test helpers for the runtime tests: a tiny HTTP app run as a real instance, and a
 * condition poller (tests wait for conditions with a deadline, never for a fixed time).
 */

const APP_SOURCE = `
import http from "node:http";
const port = Number(process.env.PORT);
const server = http.createServer((req, res) => {
  console.log("request " + req.method + " " + req.url);
  if (req.url === "/crash") {
    console.error("crashing on request");
    res.end("bye", () => process.exit(3));
    return;
  }
  if (req.url === "/slow") return; // never answers: health-probe timeouts
  if (req.url === "/env") {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(process.env));
    return;
  }
  if (req.url === "/burst") {
    for (let i = 0; i < 200; i++) console.log("burst " + String(i).padStart(3, "0") + " " + "x".repeat(1000));
    res.end("ok");
    return;
  }
  res.end("ok");
});
server.listen(port, "127.0.0.1", () => {
  console.log("listening on " + port);
  process.stderr.write("ready without newline");
});
process.on("SIGTERM", () => {
  if (process.env.IGNORE_TERM === "1") {
    console.log("ignoring SIGTERM");
    return;
  }
  console.log("got SIGTERM, shutting down");
  process.exit(0);
});
`;

/** Writes the test app into `dir` and returns the shell command that runs it. */
export function writeTestApp(dir: string): string {
  writeFileSync(join(dir, "app.mjs"), APP_SOURCE);
  return `${shellQuote(process.execPath)} app.mjs`;
}

export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export async function waitFor<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}
