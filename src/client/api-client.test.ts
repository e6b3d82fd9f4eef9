import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { errorCatalogue } from "../shared/error-catalogue.ts";
import { ApiClient, ApiError } from "./api-client.ts";

/** Answers by path: the error shapes the client must turn into a typed ApiError. */
function answer(path: string): { status: number; type: string; body: string } {
  const json = (status: number, body: unknown) => ({ status, type: "application/json", body: JSON.stringify(body) });
  switch (path) {
    case "/api/v1/status":
      return json(409, { error: { code: "rollout_in_progress", message: "a rollout of web in staging is already in progress" } });
    case "/api/v1/health":
      return json(418, { error: { code: "teapot_mode", message: "a code from a newer server", hint: "upgrade the CLI" } });
    case "/api/v1/events":
      return { status: 502, type: "text/html", body: "<html>bad gateway from a proxy</html>" };
    case "/api/v1/events/stream":
      return {
        status: 200,
        type: "text/event-stream",
        body: `event: error\ndata: ${JSON.stringify({ code: "data_dir_full", message: "the data dir is full", hint: "free space" })}\n\n`,
      };
    default:
      return json(404, { error: { code: "not_found", message: `no route ${path}` } });
  }
}

describe("ApiClient errors", () => {
  let server: Server;
  let client: ApiClient;

  before(async () => {
    server = createServer((req, res) => {
      const { status, type, body } = answer((req.url ?? "").split("?")[0] ?? "");
      res.writeHead(status, { "content-type": type });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    client = new ApiClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: "t" });
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("carries the code, the status and the catalogue's hint when the answer has none", async () => {
    await assert.rejects(client.status(), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.code, "rollout_in_progress");
      assert.equal(error.status, 409);
      assert.equal(error.hint, errorCatalogue.rollout_in_progress.hint);
      return true;
    });
  });

  it("keeps the message of a code it does not know, as http_error naming the code", async () => {
    await assert.rejects(client.health(), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.code, "http_error");
      assert.equal(error.status, 418);
      assert.match(error.message, /a code from a newer server \(error code teapot_mode\)/);
      assert.equal(error.hint, "upgrade the CLI");
      return true;
    });
  });

  it("turns an answer that is not the error envelope into http_error with its status", async () => {
    await assert.rejects(client.events(), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.code, "http_error");
      assert.equal(error.status, 502);
      assert.match(error.message, /HTTP 502: <html>bad gateway/);
      return true;
    });
  });

  it("throws an SSE error event as its code, with the code's status", async () => {
    await assert.rejects(
      (async () => {
        for await (const _ of client.streamEvents({})) assert.fail("no event was sent");
      })(),
      (error: unknown) => {
        assert.ok(error instanceof ApiError);
        assert.equal(error.code, "data_dir_full");
        assert.equal(error.status, 507);
        assert.equal(error.hint, "free space");
        return true;
      },
    );
  });

  it("says unreachable, with status 0 and what to check, when nothing listens", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(new ApiClient({ baseUrl: `http://127.0.0.1:${port}`, token: "t" }).health(), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.code, "unreachable");
      assert.equal(error.status, 0);
      assert.match(error.hint, /rampart up/);
      return true;
    });
  });
});
