import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyReply } from "fastify";
import type { ProtocolPlugin } from "../api/api-server.ts";
import { RampartError } from "../shared/errors.ts";

/** Where `npm install` (the `prepare` script: vite build) leaves the built console. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL("../../console/dist/", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Same-origin only: scripts and styles from the console's own files (no inline script), the API on the same
 * origin, and the page may not be framed (clickjacking a rollback button).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": CONSOLE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

interface StaticFile {
  body: Buffer;
  type: string;
  /** Vite's hashed assets never change under their name; everything else is revalidated. */
  immutable: boolean;
}

/** Reads the built console once (it is small); null when it was not built. */
export function loadConsoleFiles(dir: string): Map<string, StaticFile> | null {
  if (!existsSync(join(dir, "index.html"))) return null;
  const files = new Map<string, StaticFile>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const url = `/${relative(dir, path).split(sep).join("/")}`;
        const type = CONTENT_TYPES[extname(name)] ?? "application/octet-stream";
        files.set(url, { body: readFileSync(path), type, immutable: url.startsWith("/assets/") });
      }
    }
  };
  walk(dir);
  return files;
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Rampart console not built</title>
<h1>The Rampart console is not built</h1>
<p>The API works (it is under <code>/api</code>); only the web console's files are missing.</p>
<p>Build them in the Rampart checkout: <code>npm install</code> (it builds the console), or <code>npm run build:console</code>,
then reload this page (no restart needed).</p>`;

/**
 * Serves the console at `/` on the API's address: index.html and its files. The console routes in the URL's hash
 * (`/#/apps/production/web`), so any other path is the API's JSON 404, under /api or not.
 */
export function consoleStatic(dir: string = DEFAULT_CONSOLE_DIR): ProtocolPlugin {
  let files = loadConsoleFiles(dir);
  return (app) => {
    app.get("/*", async (request, reply) => {
      const path = request.url.split("?")[0] ?? "/";
      if (path === "/api" || path.startsWith("/api/")) {
        throw new RampartError("not_found", `no route GET ${path}`, {
          hint: "the OpenAPI document at /api/v1/openapi.json lists the routes",
        });
      }
      // Built after the control plane started (npm install in another terminal): picked up without a restart.
      files ??= loadConsoleFiles(dir);
      if (files === null) return sendHtml(reply.code(503), NOT_BUILT);
      const file = files.get(path === "/" ? "/index.html" : path);
      if (!file)
        throw new RampartError("not_found", `no route GET ${path}`, {
          hint: "the console is at / (its views are #/… in the URL); the API's routes are listed at /api/v1/openapi.json",
        });
      return reply
        .headers(SECURITY_HEADERS)
        .header("content-type", file.type)
        .header("cache-control", file.immutable ? "public, max-age=31536000, immutable" : "no-cache")
        .send(file.body);
    });
  };
}

function sendHtml(reply: FastifyReply, html: string): FastifyReply {
  return reply.headers(SECURITY_HEADERS).header("content-type", "text/html; charset=utf-8").header("cache-control", "no-store").send(html);
}
