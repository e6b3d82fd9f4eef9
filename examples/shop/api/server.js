// The shop's API: JSON over node:http, no dependencies.
import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 3001);
const products = [
  { id: 1, name: "Rampart mug", price: 12 },
  { id: 2, name: "Canary plushie", price: 18 },
];

const server = createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  res.setHeader("content-type", "application/json");
  if (req.url?.startsWith("/api/products")) return res.end(JSON.stringify({ release: process.env.RAMPART_RELEASE, products }));
  res.statusCode = 404;
  res.end(JSON.stringify({ error: "not found" }));
});

server.listen(port, "127.0.0.1", () => console.log(`api listening on ${port} (release ${process.env.RAMPART_RELEASE})`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
