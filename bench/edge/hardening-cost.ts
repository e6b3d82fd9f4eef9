import type { IncomingMessage, ServerResponse } from "node:http";
import { framingProblem } from "../../src/edge/client-errors.ts";
import { compileTable } from "../../src/edge/compiled-table.ts";
import { RequestGuard, type BodyLimitTarget } from "../../src/edge/request-guard.ts";
import type { RoutingTable } from "../../src/edge/routing-table.types.ts";

/**
 * `node bench/edge/hardening-cost.ts`: what the edge's hardening adds to every request on the hot path, in
 * one process: the framing check (Host count and syntax, Transfer-Encoding) and admission (body limit, and a
 * token bucket per client address when the app has a rate limit). Requests look like browser GETs with ten
 * headers; the rate-limited run spreads them over 1000 client addresses. Prints JSON (ns per request).
 */
const REQUESTS = 5_000_000;
const instances = [{ id: "web-1", host: "127.0.0.1", port: 3001 }];
const table: RoutingTable = {
  version: 1,
  environments: [
    {
      name: "production",
      bind: "127.0.0.1",
      port: 8080,
      routes: [
        { app: "web", hosts: null, prefix: "/" },
        { app: "api", hosts: null, prefix: "/api" },
      ],
      apps: [
        { name: "web", upstreamTimeoutMs: 1000, releases: [{ release: 1, weight: 1, instances }], maxBodyBytes: 1 << 20, rateLimit: null },
        {
          name: "api",
          upstreamTimeoutMs: 1000,
          releases: [{ release: 1, weight: 1, instances }],
          maxBodyBytes: 1 << 20,
          rateLimit: { perSecond: 1e9, burst: 1e9 },
        },
      ],
    },
  ],
};
const compiled = compileTable(table);
const routes = compiled.environments[0]?.routes ?? [];
const webApp = routes.find((r) => r.app.name === "web")?.app;
const apiApp = routes.find((r) => r.app.name === "api")?.app;
if (webApp === undefined || apiApp === undefined) throw new Error("bench table did not compile");
const web = webApp;
const api = apiApp;
const guard = new RequestGuard();
guard.configure(compiled, table);

const rawHeaders = [
  "Host",
  "shop.example.com",
  "User-Agent",
  "Mozilla/5.0 (X11; Linux x86_64)",
  "Accept",
  "text/html,application/xhtml+xml",
  "Accept-Language",
  "en-GB,en;q=0.9",
  "Accept-Encoding",
  "gzip, deflate, br",
  "Connection",
  "keep-alive",
  "Cookie",
  "rampart_sticky=abc123",
  "Upgrade-Insecure-Requests",
  "1",
  "Sec-Fetch-Mode",
  "navigate",
  "Cache-Control",
  "max-age=0",
];
const headers: Record<string, string> = {};
for (let i = 0; i < rawHeaders.length; i += 2) headers[(rawHeaders[i] as string).toLowerCase()] = rawHeaders[i + 1] as string;
const requests = Array.from({ length: 1000 }, (_, i) => ({
  httpVersionMajor: 1,
  httpVersionMinor: 1,
  httpVersion: "1.1",
  method: "GET",
  headers,
  rawHeaders,
  socket: { remoteAddress: `10.0.${i >> 8}.${i & 255}` },
})) as unknown as IncomingMessage[];
const res = {} as ServerResponse;
const target: BodyLimitTarget = { bodyTooLarge: () => {} };

function run(n: number, limited: boolean): number {
  const app = limited ? api : web;
  let refused = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const req = requests[i % 1000] as IncomingMessage;
    if (framingProblem(req) !== undefined) refused++;
    else if (!guard.admit(app, req, res, "id", undefined, target)) refused++;
  }
  const ns = Number(process.hrtime.bigint() - started) / n;
  if (refused > 0) throw new Error(`${refused} bench requests were refused`);
  return ns;
}

run(REQUESTS / 10, false);
run(REQUESTS / 10, true);
const plain = run(REQUESTS, false);
const limited = run(REQUESTS, true);
process.stdout.write(`${JSON.stringify({ nsPerRequest: plain, nsPerRequestWithRateLimit: limited, requests: REQUESTS })}\n`);
