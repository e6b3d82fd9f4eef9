import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { z } from "zod";

const loginBody = z.object({ user: z.string(), password: z.string() });

/**
 * A stand-in of the identity routes' HTTP contract (issue 12: POST /api/v1/auth/login {user, password} → {token,
 * user, expiresAt}; POST /api/v1/auth/logout; GET /api/v1/auth/whoami) plus GET /api/v1/events and
 * /api/v1/health, over HTTPS, so the CLI's login and contexts are tested against a real server of that contract.
 */
export interface FakeIdentityApi {
  url: string;
  /** Valid bearer tokens and who they act as. */
  tokens: Map<string, string>;
  /** Bearer tokens the events route was called with, in order. */
  seen: string[];
  /** Sessions ended by logout. */
  loggedOut: string[];
  close(): Promise<void>;
}

export async function startFakeIdentityApi(
  tls: { certFile: string; keyFile: string },
  users: Record<string, string>,
): Promise<FakeIdentityApi> {
  const tokens = new Map<string, string>();
  const seen: string[] = [];
  const loggedOut: string[] = [];
  const server: Server = createServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, (req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const send = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      const bearer = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      const actor = tokens.get(bearer);
      const unauthorized = () => send(401, { error: { code: "unauthorized", message: "missing or wrong bearer token" } });
      if (req.url === "/api/v1/health") return send(200, { ok: true, version: "fake", pid: process.pid });
      if (req.method === "POST" && req.url === "/api/v1/auth/login") {
        const login = loginBody.safeParse(JSON.parse(body || "{}"));
        const user = login.data?.user;
        if (user === undefined || users[user] !== login.data?.password)
          return send(401, { error: { code: "unauthorized", message: "wrong user name or password", hint: "check both and try again" } });
        const token = `rampart_ses_${randomBytes(32).toString("base64url")}`;
        tokens.set(token, user);
        return send(200, { token, user, expiresAt: Date.now() + 8 * 3600_000 });
      }
      if (actor === undefined) return unauthorized();
      if (req.method === "POST" && req.url === "/api/v1/auth/logout") {
        tokens.delete(bearer);
        loggedOut.push(bearer);
        return send(200, { ok: true });
      }
      if (req.url === "/api/v1/auth/whoami") return send(200, { actor });
      if (req.url?.startsWith("/api/v1/events")) {
        seen.push(bearer);
        return send(200, { events: [] });
      }
      send(404, { error: { code: "not_found", message: `no route ${req.method} ${req.url}` } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    tokens,
    seen,
    loggedOut,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
