import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { freePort } from "../testing/free-port.ts";
import { createEdgeClient, type EdgeClient } from "./edge-client.ts";
import type { PutTableResult } from "./edge-control.types.ts";
import type { EdgeApp, EdgeEnvironment, EdgeRelease, EdgeRoute } from "./routing-table.types.ts";

/** Test helpers for the edge's end-to-end tests: a real edge process, tiny upstreams, plain HTTP calls. */

const EDGE_MAIN = new URL("./edge-main.ts", import.meta.url).pathname;

/** A port that was free a moment ago (the table needs concrete ports). */
export { freePort };

export interface EdgeProcess {
  readonly dataDir: string;
  readonly socketPath: string;
  readonly client: EdgeClient;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

const started = new Set<ChildProcess>();

export async function makeDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "rampart-edge-"));
}

/**
 * Spawns edge-main and resolves once it printed its ready line (10 s deadline). Two workers by default,
 * whatever the machine, so every end-to-end test also runs through the multi-worker path.
 */
export async function startEdge(dataDir: string, options: { workers?: number; env?: Record<string, string> } = {}): Promise<EdgeProcess> {
  const args = [EDGE_MAIN, "--data", dataDir, "--workers", String(options.workers ?? 2)];
  // Its own process group, as the control plane starts it: stopEdge kills the group, workers included (they
  // outlive a killed primary on purpose, waiting for a successor).
  const env = { ...process.env, ...options.env };
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, env });
  started.add(child);
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.once("exit", (code, signal) => {
      started.delete(child);
      ok({ code, signal });
    }),
  );
  const socketPath = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`edge not ready within 10 s: ${stderr}`)), 10_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /edge ready pid=\d+ socket=(\S+)\n/.exec(stdout);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        ok(match[1]);
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      fail(new Error(`edge exited (${code}) before ready: ${stderr}`));
    });
  });
  return { dataDir, socketPath, client: createEdgeClient(socketPath), child, exited, stderr: () => stderr };
}

/** Kills every edge still running and removes the data dir (for `after`). */
export async function stopEdge(edge: EdgeProcess | undefined, removeDir = true): Promise<void> {
  if (edge === undefined) return;
  if (started.has(edge.child)) {
    edge.child.kill("SIGKILL");
    await edge.exited;
  }
  killGroup(edge.child.pid);
  if (removeDir) await rm(edge.dataDir, { recursive: true, force: true });
}

/** Kills what is left of an edge's process group (orphaned workers); a test that killed the primary itself needs this too. */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Nothing left in the group.
  }
}

export interface Upstream {
  readonly name: string;
  readonly port: number;
  /** Requests answered or held so far. */
  count: number;
  /** When true, requests wait in `held` until release() (to make requests slow on demand). */
  hold: boolean;
  readonly held: ServerResponse[];
  release(): void;
  close(): Promise<void>;
}

export interface EchoBody {
  name: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
}

/** An HTTP server on 127.0.0.1:0 answering JSON EchoBody, or holding requests while `hold` is set. */
export async function startUpstream(name: string, handler?: (req: IncomingMessage, res: ServerResponse) => void): Promise<Upstream> {
  const server: Server = createServer();
  const upstream: Upstream = {
    name,
    port: 0,
    count: 0,
    hold: false,
    held: [],
    release: () => {
      for (const res of upstream.held.splice(0)) res.end(JSON.stringify({ name }));
    },
    close: async () => {
      upstream.release();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    upstream.count++;
    if (handler !== undefined) return handler(req, res);
    let bodyBytes = 0;
    req.on("data", (chunk: Buffer) => (bodyBytes += chunk.length));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      if (upstream.hold) {
        res.flushHeaders();
        upstream.held.push(res);
        return;
      }
      const body: EchoBody = { name, method: req.method ?? "", url: req.url ?? "", headers: req.headers, bodyBytes };
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return Object.assign(upstream, { port: (server.address() as AddressInfo).port });
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection, so tests never depend on keep-alive reuse. */
export function httpRequest(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  return new Promise((ok, fail) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on("error", fail);
      },
    );
    req.on("error", fail);
    req.end(options.body);
  });
}

/** Which upstream answered (its name), from an EchoBody reply. */
export function servedBy(reply: Reply): string {
  return (JSON.parse(reply.body) as EchoBody).name;
}

export function release(number: number, weight: number, upstreams: Upstream[]): EdgeRelease {
  return { release: number, weight, instances: upstreams.map((u) => ({ id: u.name, host: "127.0.0.1", port: u.port })) };
}

export function app(name: string, releases: EdgeRelease[], upstreamTimeoutMs = 5_000): EdgeApp {
  return { name, upstreamTimeoutMs, releases };
}

export function route(appName: string, prefix: string, hosts: string[] | null = null): EdgeRoute {
  return { app: appName, prefix, hosts };
}

export function environment(name: string, port: number, routes: EdgeRoute[], apps: EdgeApp[]): EdgeEnvironment {
  return { name, bind: "127.0.0.1", port, routes, apps };
}

export interface EdgeRigOptions {
  /** startEdge's options for the suite's edge (workers, environment variables). */
  edge?: Parameters<typeof startEdge>[1];
  /** False when every test takes its own ports: the rig then allocates none and `port` throws. */
  port?: boolean;
  /** How `after` stops the edge; stopEdge (SIGKILL) unless the suite needs, say, stopGracefully's drain. */
  stop?: (edge: EdgeProcess) => Promise<void>;
}

/** One edge shared by a suite's tests, with the upstreams they start and the tables they push. */
export interface EdgeRig {
  /** The suite's edge; throws when read before the rig's `before` ran (at describe time, say). */
  readonly edge: EdgeProcess;
  /** The port for the suite's environment, allocated in `before`. */
  readonly port: number;
  /** The version of the last table put through the rig (0 before the first). */
  readonly version: number;
  /** An upstream (startUpstream) that the rig closes in `after`, before it stops the edge. */
  upstream(name: string, handler?: Parameters<typeof startUpstream>[1]): Promise<Upstream>;
  /** Puts a table of these environments under the next version and returns the edge's answer, whatever it says. */
  putTable(environments: EdgeEnvironment[]): Promise<PutTableResult>;
  /** putTable, asserting the edge reported no errors. */
  pushTable(environments: EdgeEnvironment[]): Promise<PutTableResult>;
}

/**
 * Registers `before` (start an edge, allocate a port) and `after` (close the rig's upstreams, stop the edge) in the
 * calling describe, so each suite does not repeat them. Call it inside a describe, not at a file's top level: there
 * node:test starts each `before` without waiting for the previous one, so a suite's own `before` would find no edge.
 * Hooks run in the order registered, so a suite's own `before` that follows the call sees the edge and port.
 * The rig numbers table versions itself: an edge ignores a table not newer than its current one.
 */
export function edgeRig(options: EdgeRigOptions = {}): EdgeRig {
  let edge: EdgeProcess | undefined;
  let port: number | undefined;
  let version = 0;
  const upstreams: Upstream[] = [];

  before(async () => {
    edge = await startEdge(await makeDataDir(), options.edge);
    if (options.port !== false) port = await freePort();
  });
  after(async () => {
    await Promise.all(upstreams.map((u) => u.close()));
    // Undefined when startEdge failed: nothing to stop.
    if (edge !== undefined) await (options.stop ?? stopEdge)(edge);
  });

  const rig: EdgeRig = {
    get edge() {
      if (edge === undefined) throw new Error("edgeRig: the edge is not running (read it in a test or hook, after the rig's before)");
      return edge;
    },
    get port() {
      if (port === undefined) throw new Error("edgeRig: no port (read it after the rig's before, and without `port: false`)");
      return port;
    },
    get version() {
      return version;
    },
    async upstream(name, handler) {
      const u = await startUpstream(name, handler);
      upstreams.push(u);
      return u;
    },
    putTable: (environments) => rig.edge.client.putTable({ version: ++version, environments }),
    async pushTable(environments) {
      const result = await rig.putTable(environments);
      assert.deepEqual(result.errors, []);
      return result;
    },
  };
  return rig;
}
