import { request } from "node:http";
import type { z } from "zod";
import { checkedAs } from "../shared/checked-json.ts";
import {
  type EdgeHealth,
  edgeHealthSchema,
  type EdgeInflight,
  edgeInflightSchema,
  type PutTableResult,
  putTableResultSchema,
} from "./edge-control.types.ts";
import { type EdgeStats, edgeStatsSchema } from "./edge-stats.types.ts";
import type { RoutingTable } from "./routing-table.types.ts";

export interface EdgeClient {
  putTable(table: RoutingTable): Promise<PutTableResult>;
  stats(): Promise<EdgeStats>;
  /** Requests in flight per instance (GET /inflight); resets no measurement. */
  inflight(): Promise<EdgeInflight>;
  health(): Promise<EdgeHealth>;
}

/**
 * The control plane's handle on an edge: JSON over the edge's unix socket. One connection per call
 * (calls are rare), so an edge restart never leaves the client holding a dead keep-alive socket.
 */
export function createEdgeClient(socketPath: string, options: { timeoutMs?: number } = {}): EdgeClient {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const call = <S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown): Promise<z.infer<S>> =>
    callEdge(socketPath, timeoutMs, method, path, body).then((json) => checkedAs(schema, json, `the edge's answer to ${method} ${path}`));
  return {
    putTable: (table): Promise<PutTableResult> => call(putTableResultSchema, "PUT", "/table", table),
    stats: (): Promise<EdgeStats> => call(edgeStatsSchema, "GET", "/stats"),
    inflight: (): Promise<EdgeInflight> => call(edgeInflightSchema, "GET", "/inflight"),
    health: (): Promise<EdgeHealth> => call(edgeHealthSchema, "GET", "/health"),
  };
}

function callEdge(socketPath: string, timeoutMs: number, method: string, path: string, body: unknown): Promise<unknown> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<unknown>((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method,
        path,
        agent: false,
        timeout: timeoutMs,
        headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            return reject(new Error(`edge ${method} ${path}: answered ${res.statusCode} with a non-JSON body`));
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(json);
          reject(new Error(`edge ${method} ${path}: ${status} ${errorText(json)}`));
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`edge ${method} ${path}: no answer within ${timeoutMs} ms (socket ${socketPath})`)));
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ECONNREFUSED") {
        reject(
          new Error(`edge is not running: control socket ${socketPath} is ${error.code === "ENOENT" ? "absent" : "refusing connections"}`),
        );
      } else reject(error);
    });
    req.end(payload);
  });
}

function errorText(json: unknown): string {
  if (typeof json === "object" && json !== null && "error" in json) {
    const error = (json as { error: unknown }).error;
    if (typeof error === "object" && error !== null && "message" in error) return String((error as { message: unknown }).message);
  }
  return JSON.stringify(json);
}
