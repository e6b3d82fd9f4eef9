import assert from "node:assert/strict";
import { test } from "node:test";
import { environmentUrl } from "./environment-url.ts";

test("an environment's URL says https when the edge terminates TLS on its port", () => {
  const tls = { certFile: "/srv/tls/cert.pem", keyFile: "/srv/tls/key.pem" };
  assert.equal(environmentUrl({ bind: "0.0.0.0", port: 8443, tls }), "https://127.0.0.1:8443");
  assert.equal(environmentUrl({ bind: "0.0.0.0", port: 8080, tls: null }), "http://127.0.0.1:8080");
  assert.equal(environmentUrl({ bind: "10.0.0.5", port: 8080, tls: null }), "http://10.0.0.5:8080");
  assert.equal(environmentUrl({ bind: "::1", port: 8443, tls }), "https://[::1]:8443");
  assert.equal(environmentUrl({ bind: "::", port: 8080, tls: null }), "http://127.0.0.1:8080");
});
