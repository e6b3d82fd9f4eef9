import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { systemClock } from "../shared/clock.ts";
import { CHROMIUM, chromiumProber } from "./browser-probe.ts";

// A shop page whose button reveals a confirmation through JavaScript: only a real browser sees it.
const PAGE = `<!doctype html><html><body><h1>Shop</h1><button id="buy">Buy</button><p id="done" hidden>Thank you for your order</p>
<script>document.getElementById("buy").onclick = () => { document.getElementById("done").hidden = false; };</script></body></html>`;

describe("browser checks in Debian's Chromium through playwright-core", {
  skip: !existsSync(CHROMIUM) && `no ${CHROMIUM} (apt-get install chromium, as scripts/test-deps.sh does)`,
}, () => {
  let server: Server;
  let base: string;
  const probe = chromiumProber(systemClock);

  before(async () => {
    server = createServer((req, res) => {
      if (req.url === "/") return res.end(PAGE);
      res.statusCode = 404;
      res.end("not found");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it("goto, click and expect_text pass when the page behaves", async () => {
    const result = await probe({
      base,
      steps: [{ goto: "/" }, { click: "#buy" }, { expect_text: "Thank you for your order" }],
      timeoutMs: 15_000,
    });
    assert.equal(result.error, null);
    assert.equal(result.status, 200);
  });

  it("a failing step is named in the error", async () => {
    const missing = await probe({ base, steps: [{ goto: "/" }, { expect_text: "Thank you for your order" }], timeoutMs: 1500 });
    assert.equal(missing.status, null);
    assert.match(missing.error ?? "", /^step 2 \(expect_text "Thank you for your order"\): /);
    const notFound = await probe({ base, steps: [{ goto: "/gone" }], timeoutMs: 5000 });
    assert.equal(notFound.error, "step 1 (goto /gone): HTTP 404");
  });
});
