import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import type { Escalation } from "./escalation.types.ts";
import { createPager } from "./pager.ts";

const escalation: Escalation = {
  fingerprint: "0123456789abcdef",
  alertname: "HighErrorRatio",
  labels: { alertname: "HighErrorRatio", severity: "critical", app: "api" },
  policy: "default",
  level: 0,
  round: 0,
  status: "paging",
  nextAt: 1,
  startedAt: 0,
  endedAt: null,
  endedBy: null,
};

async function body(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  return text;
}

describe("pager", () => {
  const received: unknown[] = [];
  let status = 200;
  const server = createServer(async (req, res) => {
    received.push(JSON.parse(await body(req)));
    res.writeHead(status).end();
  });
  after(() => server.close());

  it("posts the page to the person's webhook, and fails with what went wrong when no channel took it", async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/page`;
    const pager = createPager({ smtp: () => undefined, env: {} });
    await pager.page({ user: "bob", contact: { webhook: url }, escalation, text: "you are paged" });
    assert.deepEqual(received[0], {
      kind: "rampart.page",
      user: "bob",
      text: "you are paged",
      alert: { fingerprint: escalation.fingerprint, name: "HighErrorRatio", labels: escalation.labels },
      escalation: { policy: "default", level: 0, round: 0 },
    });
    status = 500;
    await assert.rejects(
      pager.page({ user: "bob", contact: { webhook: url, email: "bob@example.com" }, escalation, text: "x" }),
      (error: Error) => {
        assert.match(error.message, /webhook answered 500; email: no SMTP server; declare an email receiver/);
        return true;
      },
    );
  });
});
