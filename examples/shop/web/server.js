// The shop's storefront: plain node:http, no dependencies. Rampart sets PORT and RAMPART_* for each instance.
import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 3000);
const release = process.env.RAMPART_RELEASE ?? "dev";
const greeting = process.env.GREETING ?? "Welcome";

const server = createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  res.setHeader("content-type", "text/html; charset=utf-8");
  res.end(
    `<h1>${greeting}</h1><p>release ${release} · instance ${process.env.RAMPART_INSTANCE ?? "-"}</p><p><a href="/api/products">products</a></p>\n`,
  );
});

server.listen(port, "127.0.0.1", () => console.log(`web listening on ${port} (release ${release})`));
// Finish in-flight requests, then exit: Rampart has already taken this instance out of rotation.
process.on("SIGTERM", () => server.close(() => process.exit(0)));
