import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface WebhookReceiver {
  /** http://127.0.0.1:PORT; receivers are `${url}/name`. */
  url: string;
  /** Every JSON body posted, with its path, in arrival order. */
  received: Array<{ path: string; body: Record<string, unknown> }>;
  close(): void;
}

/** A real HTTP server on an ephemeral port that records the JSON bodies posted to it and answers "ok". */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: WebhookReceiver["received"] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      received.push({ path: req.url ?? "", body: JSON.parse(body) as Record<string, unknown> });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => server.close() };
}
