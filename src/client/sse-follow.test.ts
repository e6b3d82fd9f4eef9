import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { ApiClient, ApiError } from "./api-client.ts";
import type { Reconnecting } from "./sse-follow.ts";

/**
 * A stand-in event stream over real HTTP: ids 1..TOTAL, each connection sends (with CRLF line ends) the next
 * two after Last-Event-ID (or afterId) and then drops, as a restarting control plane would.
 */
const TOTAL = 7;

/** A whole event as the API sends it (the client checks each one against the event schema). */
const event = (id: number) => ({
  id,
  at: id,
  type: "platform.started",
  env: null,
  app: null,
  release: null,
  instance: null,
  actor: "rampart",
  message: `event ${id}`,
  data: {},
});

describe("ApiClient.streamEvents with follow: reconnects and resumes after the last event id", () => {
  let server: Server;
  let baseUrl: string;
  const lastEventIds: (string | undefined)[] = [];
  let refuse = false;

  before(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (refuse) {
        res.writeHead(404, { "content-type": "application/json" });
        return res.end(JSON.stringify({ error: { code: "not_found", message: "no app web", hint: "rampart status" } }));
      }
      const header = req.headers["last-event-id"];
      lastEventIds.push(typeof header === "string" ? header : undefined);
      const after = Number(header ?? url.searchParams.get("afterId") ?? 0);
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": connected\r\n\r\n");
      for (let id = after + 1; id <= Math.min(after + 2, TOTAL); id++) {
        res.write(`id: ${id}\r\nevent: event\r\ndata: ${JSON.stringify(event(id))}\r\n\r\n`);
      }
      // Drop the connection mid-stream (no clean end), as a killed control plane does.
      setImmediate(() => res.socket?.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sees every event once, in order, sending Last-Event-ID on each reconnect, and says so", async () => {
    // The first address is dead: `locate` finds the real one, as the CLI re-reads the credentials file.
    const client = new ApiClient({ baseUrl: "http://127.0.0.1:9", token: "t", locate: () => baseUrl });
    const notices: Reconnecting[] = [];
    let reconnected = 0;
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const event of client.streamEvents({ afterId: 0 }, controller.signal, {
        minDelayMs: 1,
        maxDelayMs: 4,
        onReconnecting: (state) => notices.push(state),
        onReconnected: () => reconnected++,
      })) {
        seen.push(event.id);
        if (seen.length === TOTAL) controller.abort();
      }
    }, /abort/i);
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(lastEventIds.slice(0, 4), [undefined, "2", "4", "6"]);
    assert.ok(notices.length >= 3);
    assert.equal(notices[0]?.attempt, 1);
    assert.deepEqual(
      notices.slice(0, 3).map((n) => n.lastEventId),
      ["2", "4", "6"],
    );
    assert.ok(reconnected >= 3);
  });

  it("without follow, one connection: the stream ends with it (drills and tests reconnect themselves)", async () => {
    const client = new ApiClient({ baseUrl, token: "t" });
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const event of client.streamEvents({ afterId: 3 })) seen.push(event.id);
    });
    assert.deepEqual(seen, [4, 5]);
  });

  it("stops on an answer retrying cannot change (404), with the server's error", async () => {
    refuse = true;
    try {
      const client = new ApiClient({ baseUrl, token: "t" });
      await assert.rejects(
        async () => {
          for await (const _ of client.streamEvents({}, undefined, { minDelayMs: 1 })) assert.fail("no event expected");
        },
        (e: unknown) => e instanceof ApiError && e.status === 404 && e.hint === "rampart status",
      );
    } finally {
      refuse = false;
    }
  });
});
