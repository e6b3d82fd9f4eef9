/**
 * An app instrumented the way users do it: the official OpenTelemetry Node SDK configured only by the OTEL_*
 * environment Rampart injects (no endpoint or token in the code). The HTTP auto-instrumentation is not installed,
 * so the server span is made by hand from the incoming `traceparent` (what that instrumentation does), with a
 * child span for a pretend database call. Also writes log lines for the log tests. CommonJS, so NODE_PATH finds
 * the SDK in the repository's node_modules from the artifact's directory.
 */
export const OTEL_TEST_APP = `
const http = require("node:http");
const { NodeSDK } = require("@opentelemetry/sdk-node");
const api = require("@opentelemetry/api");

const sdk = new NodeSDK({});
sdk.start();
const tracer = api.trace.getTracer("otel-test-app");
const port = Number(process.env.PORT);

const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/healthz") return res.end("ok");
  if (url.pathname === "/otel-env") {
    const env = {};
    for (const [key, value] of Object.entries(process.env)) if (key.startsWith("OTEL_")) env[key] = value;
    res.setHeader("content-type", "application/json");
    return res.end(JSON.stringify(env));
  }
  if (url.pathname === "/mark") {
    console.log(JSON.stringify({ level: 30, time: Date.now(), msg: "marker " + url.searchParams.get("token"), user: "u-42" }));
    return res.end("marked");
  }
  if (url.pathname === "/fail") {
    console.error("payment failed for order " + url.searchParams.get("order"));
    res.statusCode = 500;
    return res.end("failed");
  }
  const parent = api.propagation.extract(api.context.active(), req.headers);
  const span = tracer.startSpan("GET /work", { kind: api.SpanKind.SERVER, attributes: { "http.route": "/work", "http.request.method": req.method } }, parent);
  api.context.with(api.trace.setSpan(parent, span), () => {
    const query = tracer.startSpan("db.query", { kind: api.SpanKind.CLIENT, attributes: { "db.system": "postgresql" } });
    setTimeout(() => {
      query.end();
      span.setAttribute("http.response.status_code", 200);
      span.end();
      res.end("worked");
    }, 20);
  });
});
server.listen(port, "127.0.0.1", () => console.log("listening on " + port + " release " + process.env.RAMPART_RELEASE));
process.on("SIGTERM", () => { server.close(() => sdk.shutdown().finally(() => process.exit(0))); });
`;
