import assert from "node:assert/strict";
import { type AddressInfo, createServer, type Server } from "node:net";
import { describe, it } from "node:test";
import { allocatePort, INSTANCE_PORT_RANGE } from "./port-allocator.ts";

const listen = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => resolve(server));
  });

const portOf = (server: Server) => (server.address() as AddressInfo).port;

describe("allocatePort", () => {
  it("hands out ports below the kernel's ephemeral range, never the same one twice in a row", async () => {
    const ports = new Set<number>();
    for (let i = 0; i < 20; i++) ports.add(await allocatePort());
    assert.equal(ports.size, 20);
    for (const port of ports) assert.ok(port >= INSTANCE_PORT_RANGE.min && port < INSTANCE_PORT_RANGE.max, `${port} in range`);
  });

  it("skips a port something already listens on", async () => {
    // A port the kernel picked, so it is not one this process handed out (those are skipped without a look). Its
    // neighbour is the only other answer in a range of two; another program may hold that one too (the kernel's
    // range is shared), and then another pair is tried.
    for (let pair = 1; ; pair++) {
      const holder = await listen(0);
      const taken = portOf(holder);
      try {
        const got = await allocatePort("127.0.0.1", { min: taken, max: taken + 2 }).catch(() => undefined);
        if (got === undefined && pair < 20) continue;
        assert.equal(got, taken + 1);
        return;
      } finally {
        holder.close();
      }
    }
  });

  it("says what to look at when the whole range is taken", async () => {
    const holder = await listen(0);
    const taken = portOf(holder);
    try {
      await assert.rejects(allocatePort("127.0.0.1", { min: taken, max: taken + 1 }), /no free port .* ss -ltnp/);
    } finally {
      holder.close();
    }
  });
});
