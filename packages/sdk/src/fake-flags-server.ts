/**
 * A fake of the flags server's SDK endpoints (snapshot with ETag, SSE stream, metrics) for the SDK's tests:
 * the real server lives in src/flags and is exercised end to end by bench/flags and src/flags' own tests.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FlagSnapshot } from "./flag-data.ts";
import type { MetricsBatch } from "./evaluation-counter.ts";

export interface FakeFlagsServer {
  url: string;
  token: string;
  metrics: MetricsBatch[];
  requests: string[];
  /** Set to false to answer the stream with 404, so the SDK must poll. */
  streaming: boolean;
  publish(snapshot: FlagSnapshot): void;
  /** Drops every open stream (as a crashed server would). */
  dropStreams(): void;
  stop(): Promise<void>;
  /** Listens again on the same port after stop(). */
  restart(): Promise<void>;
}

export async function startFakeFlagsServer(initial: FlagSnapshot, port = 0): Promise<FakeFlagsServer> {
  let snapshot = initial;
  const streams = new Set<ServerResponse>();
  const fake: FakeFlagsServer = {
    url: "",
    token: "rsdk_production_0123456789abcdef0123456789abcdef",
    metrics: [],
    requests: [],
    streaming: true,
    publish(next) {
      snapshot = next;
      for (const res of streams) res.write(`event: snapshot\nid: ${next.version}\ndata: ${JSON.stringify(next)}\n\n`);
    },
    dropStreams() {
      for (const res of streams) res.destroy();
      streams.clear();
    },
    async stop() {
      fake.dropStreams();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async restart() {
      server = createServer(handle);
      await new Promise<void>((resolve) => server.listen(boundPort, "127.0.0.1", resolve));
    },
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    fake.requests.push(`${req.method} ${req.url}`);
    if (req.headers.authorization !== `Bearer ${fake.token}`) {
      res.writeHead(401, { "content-type": "application/json" }).end('{"error":{"code":"unauthorized","message":"bad SDK token"}}');
      return;
    }
    if (req.url === "/api/v1/flags/sdk/snapshot") {
      const etag = `"${snapshot.version}"`;
      if (req.headers["if-none-match"] === etag) res.writeHead(304, { etag }).end();
      else res.writeHead(200, { "content-type": "application/json", etag }).end(JSON.stringify(snapshot));
    } else if (req.url === "/api/v1/flags/sdk/stream" && fake.streaming) {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
      res.write(`event: snapshot\nid: ${snapshot.version}\ndata: ${JSON.stringify(snapshot)}\n\n`);
      streams.add(res);
      res.on("close", () => streams.delete(res));
    } else if (req.url === "/api/v1/flags/sdk/metrics" && req.method === "POST") {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const batch = JSON.parse(body) as MetricsBatch;
        fake.metrics.push(batch);
        res.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify({ accepted: batch.counts.length }));
      });
    } else {
      res.writeHead(404).end();
    }
  };
  let server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const boundPort = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${boundPort}`;
  return fake;
}
