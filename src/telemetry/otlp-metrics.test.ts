import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as OTLPProtoMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import type { FastifyInstance } from "fastify";
import { localOnlyAccess } from "../access/local-authenticator.ts";
import { buildApiServer } from "../api/api-server.ts";
import { CumulativeDeltas } from "./metrics-cumulative.ts";
import { MetricsStore } from "./metrics.store.ts";
import { otlpMetricsProtocol } from "./otlp-metrics.protocol.ts";
import { OtlpMetricsIngest } from "./otlp-metrics.ts";
import { parsePrometheusText } from "./prometheus-parser.ts";
import { ingestScrape } from "./scrape-ingest.ts";

const ADMIN = "a".repeat(43);
const INGEST = `ingest_${"b".repeat(32)}`;
const RESOURCE = resourceFromAttributes({
  "service.name": "billing",
  "rampart.env": "production",
  "rampart.app": "billing",
  "rampart.release": "3",
  "rampart.instance": "production.billing.r3.1",
});

/** The official OpenTelemetry JS SDK as the client: what it sends is what apps will send. */
describe("OTLP/HTTP metrics from the OpenTelemetry SDK", () => {
  const store = new MetricsStore();
  let app: FastifyInstance;
  let url = "";
  before(async () => {
    app = buildApiServer({
      routes: [],
      streams: [],
      ...localOnlyAccess(ADMIN),
      version: "test",
      dataDir: "/tmp",
      protocols: [otlpMetricsProtocol({ ingest: new OtlpMetricsIngest(store), ingestToken: INGEST, now: () => Date.now() })],
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/metrics`;
  });
  after(() => app.close());

  const cases = [
    { protocol: "json", temporality: AggregationTemporality.CUMULATIVE },
    { protocol: "json", temporality: AggregationTemporality.DELTA },
    { protocol: "protobuf", temporality: AggregationTemporality.CUMULATIVE },
    { protocol: "protobuf", temporality: AggregationTemporality.DELTA },
  ];
  for (const { protocol, temporality } of cases) {
    it(`files counters, histograms and gauges (${protocol}, ${temporality === AggregationTemporality.DELTA ? "delta" : "cumulative"} temporality) with the sender's labels`, async () => {
      const options = { url, headers: { authorization: `Bearer ${INGEST}` }, temporalityPreference: temporality };
      const exporter = protocol === "json" ? new OTLPMetricExporter(options) : new OTLPProtoMetricExporter(options);
      const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
      const provider = new MeterProvider({ resource: RESOURCE, readers: [reader] });
      const meter = provider.getMeter("orders");
      const suffix = `${protocol}_${temporality === AggregationTemporality.DELTA ? "delta" : "cumulative"}`;
      const counter = meter.createCounter(`orders.placed.${suffix}`);
      const histogram = meter.createHistogram(`orders.duration.${suffix}`, { unit: "s", advice: { explicitBucketBoundaries: [0.1, 1] } });
      const gauge = meter.createGauge(`orders.queue.${suffix}`);
      let failure: unknown;
      exporter.export = (
        (original) => (metrics, done) =>
          original.call(exporter, metrics, (result) => ((failure ??= result.error), done(result)))
      )(exporter.export);
      counter.add(3, { channel: "web" });
      histogram.record(0.05);
      histogram.record(0.5);
      gauge.record(12);
      await reader.forceFlush();
      counter.add(4, { channel: "web" });
      histogram.record(2);
      await reader.forceFlush();
      await provider.shutdown();
      assert.equal(failure, undefined, `the exporter reported ${String(failure)}`);

      const labels = { env: "production", app: "billing", release: "3", instance: "production.billing.r3.1", service: "billing" };
      const [placed] = store.select(`orders_placed_${suffix}_total`, { ...labels, channel: "web" });
      // Cumulative: the first export (3) is the baseline, the second adds 4. Delta: both add.
      assert.equal(placed?.kind === "counter" ? placed.total : -1, temporality === AggregationTemporality.DELTA ? 7 : 4);
      const [duration] = store.select(`orders_duration_${suffix}`, labels);
      assert.ok(duration?.kind === "histogram");
      assert.deepEqual(duration.bounds, [0.1, 1, Infinity]);
      assert.equal(duration.totalCount, temporality === AggregationTemporality.DELTA ? 3 : 1);
      const [queue] = store.select(`orders_queue_${suffix}`, labels);
      assert.equal(queue?.kind === "gauge" ? queue.total : -1, 12);
    });
  }
});

describe("POST /v1/metrics refusals", () => {
  it("400 names the problem of a malformed body (JSON or protobuf), 415 another type, 401 another token", async () => {
    const app = buildApiServer({
      routes: [],
      streams: [],
      ...localOnlyAccess(ADMIN),
      version: "test",
      dataDir: "/tmp",
      protocols: [otlpMetricsProtocol({ ingest: new OtlpMetricsIngest(new MetricsStore()), ingestToken: INGEST, now: () => Date.now() })],
    });
    const post = (payload: string | Buffer, type: string, token = INGEST) =>
      app.inject({ method: "POST", url: "/v1/metrics", headers: { authorization: `Bearer ${token}`, "content-type": type }, payload });
    const badProto = await post(Buffer.from([0x0a, 0xff, 0xff]), "application/x-protobuf");
    assert.equal(badProto.statusCode, 400);
    assert.match(badProto.body, /not an OTLP protobuf message/);
    const badJson = await post(
      JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "x", histogram: { dataPoints: [{ count: "-1" }] } }] }] }] }),
      "application/json",
    );
    assert.equal(badJson.statusCode, 400);
    assert.match(badJson.body, /body\.resourceMetrics\.0\.scopeMetrics\.0\.metrics\.0\.histogram\.dataPoints\.0\.count/);
    assert.equal((await post("x", "text/plain")).statusCode, 415);
    // Attribute values nested a thousand deep overflowed the recursive schema (found by protocols.property.e2e.test.ts).
    let deep: unknown = { stringValue: "bottom" };
    for (let i = 0; i < 1000; i++) deep = { arrayValue: { values: [deep] } };
    const nested = await post(
      JSON.stringify({ resourceMetrics: [{ resource: { attributes: [{ key: "k", value: deep }] } }] }),
      "application/json",
    );
    assert.equal(nested.statusCode, 400);
    assert.match(nested.body, /nested deeper than/);
    assert.equal((await post("{}", "application/json", "nope")).statusCode, 401);
    assert.equal((await post("{}", "application/json", ADMIN)).statusCode, 200);
    await app.close();
  });
});

describe("the OpenTelemetry Prometheus exporter's text, as an app would serve it", () => {
  it("parses without a problem and files counters and histograms with the target's labels", async () => {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ resource: RESOURCE, readers: [exporter] });
    const meter = provider.getMeter("shop");
    meter.createCounter("http.requests", { description: 'Requests "served"\nby route' }).add(5, { route: '/a"b\\c' });
    meter.createHistogram("http.duration", { unit: "s", advice: { explicitBucketBoundaries: [0.1, 1] } }).record(0.3);
    const { resourceMetrics } = await exporter.collect();
    const text = new PrometheusSerializer().serialize(resourceMetrics);
    await provider.shutdown();

    const parsed = parsePrometheusText(text);
    assert.deepEqual(parsed.problems, [], text);
    const store = new MetricsStore();
    const deltas = new CumulativeDeltas(100);
    const target = { env: "production", app: "shop", release: "1", instance: "production.shop.r1.1" };
    ingestScrape(store, (k, v) => deltas.delta(k, v), parsed, target, 1000);
    const counter = store.select("http_requests_total", target).find((s) => s.labels.route === '/a"b\\c');
    assert.equal(counter?.kind, "counter", text);
    const histogram = store.select("http_duration", target)[0];
    assert.ok(histogram?.kind === "histogram", text);
    assert.deepEqual(histogram.bounds, [0.1, 1, Infinity]);
  });
});
