import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEdgeClient } from "../../src/edge/edge-client.ts";
import type { EdgeEnvironment } from "../../src/edge/routing-table.types.ts";
import { claimsFor, jwksOf, makeKey, signToken } from "../../src/testing/jwt-fixtures.ts";
import { killAllSync, runToEnd, startProcess } from "./child-process.ts";
import { cpuTime } from "./process-cpu.ts";

/**
 * `node bench/edge/gateway-e2e.ts [--seconds 5] [--rounds 2]`: the same upstream through one real edge (one worker),
 * on three listeners that differ in one thing: nothing, JWT auth (ES256, the same token on every request: the cached
 * path), the access log. wrk saturates each in turn; the edge's CPU per request (user + sys from /proc, the primary
 * and its worker) is the number to compare: it moves much less than throughput when the machine is shared.
 */
const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = join(HERE, "..", "..");
const args = process.argv.slice(2);
const SECONDS = Number(args[args.indexOf("--seconds") + 1] ?? 5) || 5;
const ROUNDS = Number(args[args.indexOf("--rounds") + 1] ?? 2) || 2;
const CONNECTIONS = 32;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const address = server.address();
  await new Promise<void>((ok) => server.close(() => ok()));
  return typeof address === "object" && address !== null ? address.port : 0;
}

async function wrk(url: string, headers: string[]): Promise<{ requests: number; rps: number; errors: number }> {
  const out = await runToEnd("wrk", ["-t1", `-c${CONNECTIONS}`, `-d${SECONDS}s`, ...headers.flatMap((h) => ["-H", h]), url]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? Number.NaN);
  const errors = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  if (Number.isNaN(rps) || Number.isNaN(requests)) throw new Error(`cannot read wrk output:\n${out}`);
  return { requests, rps, errors };
}

const dir = await mkdtemp(join(tmpdir(), "rampart-gateway-e2e-"));
try {
  const upstream = await startProcess(process.execPath, [join(HERE, "upstream-server.ts")], /listening (\d+)\n/);
  const upstreamPort = Number(upstream.match);
  const edge = await startProcess(
    process.execPath,
    [join(ROOT, "src/edge/edge-main.ts"), "--data", join(dir, "edge"), "--workers", "1"],
    /edge ready pid=\d+ socket=(\S+)\n/,
  );
  const key = makeKey("ES256", "bench");
  const jwks = join(dir, "jwks.json");
  await writeFile(jwks, JSON.stringify(jwksOf([key])));
  const token = signToken(
    key,
    claimsFor("https://id.example.com/", "bench", { exp: Math.floor(Date.now() / 1000) + 3600, scope: "orders:read", tenant: "acme" }),
  );
  const releases = [{ release: 1, weight: 1, instances: [{ id: "up", host: "127.0.0.1", port: upstreamPort }] }];
  const env = async (name: string, extra: Partial<EdgeEnvironment>, auth: boolean): Promise<EdgeEnvironment> => ({
    name,
    bind: "127.0.0.1",
    port: await freePort(),
    routes: [{ app: "web", hosts: null, prefix: "/" }],
    apps: [
      {
        name: "web",
        upstreamTimeoutMs: 5_000,
        releases,
        ...(auth
          ? { auth: { public: [], jwt: { jwks, issuer: "https://id.example.com/", audience: "bench", requiredClaims: [] }, apiKeys: null } }
          : {}),
      },
    ],
    ...extra,
  });
  const plain = await env("plain", {}, false);
  const jwt = await env("jwt", {}, true);
  const logged = await env("logged", { accessLog: { dir: join(dir, "access"), maxBytes: 64 * 1024 * 1024, keep: 1 } }, false);
  await createEdgeClient(edge.match).putTable({ version: 1, environments: [plain, jwt, logged] });
  const variants = [
    { name: "no auth, no access log", env: plain, headers: [] as string[] },
    { name: "JWT (ES256, cached)", env: jwt, headers: [`Authorization: Bearer ${token}`] },
    { name: "access log on", env: logged, headers: [] as string[] },
  ];
  const totals = variants.map(() => ({ requests: 0, cpuUs: 0, best: 0, errors: 0 }));
  for (const v of variants) await wrk(`http://127.0.0.1:${v.env.port}/`, v.headers); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, v] of variants.entries()) {
      const before = cpuTime(edge.child.pid ?? 0);
      const result = await wrk(`http://127.0.0.1:${v.env.port}/`, v.headers);
      const after = cpuTime(edge.child.pid ?? 0);
      const t = totals[i];
      if (t === undefined) continue;
      t.requests += result.requests;
      t.cpuUs += after.userUs + after.sysUs - before.userUs - before.sysUs;
      t.best = Math.max(t.best, result.rps);
      t.errors += result.errors;
    }
  }
  const base = totals[0] === undefined ? 0 : totals[0].cpuUs / totals[0].requests;
  process.stdout.write(
    `| edge (1 worker), wrk -c${CONNECTIONS} -d${SECONDS}s x ${ROUNDS} | req/s (best) | edge CPU per request | vs none | errors |\n`,
  );
  process.stdout.write("| --- | ---: | ---: | ---: | ---: |\n");
  for (const [i, v] of variants.entries()) {
    const t = totals[i];
    if (t === undefined) continue;
    const perRequest = t.cpuUs / t.requests;
    process.stdout.write(
      `| ${v.name} | ${Math.round(t.best)} | ${perRequest.toFixed(1)} µs | ${i === 0 ? "—" : `${perRequest - base >= 0 ? "+" : ""}${(perRequest - base).toFixed(1)} µs`} | ${t.errors} |\n`,
    );
  }
} finally {
  killAllSync();
  await rm(dir, { recursive: true, force: true });
}
