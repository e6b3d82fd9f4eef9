import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The one upstream every target of the edge bench proxies to: a minimal node:http server with a small
 * fixed body, in its own process so its CPU shows up the same way in every measurement.
 * Prints "listening PORT" once bound to 127.0.0.1.
 */
const BODY = Buffer.from("hello from the bench upstream\n");
const HEADERS = { "content-type": "text/plain", "content-length": String(BODY.length) };

const server = createServer((req, res) => {
  // Drain any request body so keep-alive connections stay usable.
  req.resume();
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on("SIGTERM", () => process.exit(0));
