import { join } from "node:path";
import type { ProtocolPlugin } from "../api/api-server.ts";
import type { Clock } from "../shared/clock.ts";
import { logger } from "../shared/logger.ts";
import { LogHub } from "./log-hub.ts";
import { LogIndexStore } from "./log-index.store.ts";
import { LogTailer } from "./log-tailer.ts";
import { limitsFromEnv, type LogTraceLimits } from "./log-trace.limits.ts";
import { readOrCreateIngestToken } from "./otlp-auth.ts";
import { otlpLogsTracesProtocol } from "./otlp-receiver.ts";
import { EdgeSpanSink } from "./trace-ingest.ts";
import { TraceStore } from "./trace.store.ts";

export interface LogsTracesOptions extends LogTraceLimits {
  dataDir: string;
  clock: Clock;
}

const RETENTION_EVERY_MS = 5 * 60_000;

/**
 * Logs and traces as one unit for the composition root: the log index fed by the instances' files and OTLP, the
 * trace store fed by the edge and OTLP, their retention, the OTLP receivers, and the OTEL_* environment for instances.
 */
export class LogsTraces {
  readonly index: LogIndexStore;
  readonly traces: TraceStore;
  readonly hub = new LogHub();
  readonly edgeSink: EdgeSpanSink;
  readonly ingestToken: string;
  readonly #tailer: LogTailer;
  #retention: NodeJS.Timeout | undefined;
  #apiBase: string | undefined;

  /** Limits not given in `options` come from RAMPART_LOG_RETENTION and friends (see log-trace.limits.ts). */
  constructor(given: LogsTracesOptions) {
    const options: LogsTracesOptions = { ...limitsFromEnv(process.env), ...definedOnly(given), dataDir: given.dataDir, clock: given.clock };
    const dir = join(options.dataDir, "telemetry");
    this.index = new LogIndexStore({
      dir: join(dir, "logs"),
      clock: options.clock,
      maxAgeMs: options.logMaxAgeMs,
      maxBytes: options.logMaxBytes,
    });
    this.traces = new TraceStore({
      path: join(dir, "traces.db"),
      clock: options.clock,
      maxAgeMs: options.traceMaxAgeMs,
      maxSpans: options.traceMaxSpans,
    });
    this.edgeSink = new EdgeSpanSink(this.traces);
    this.ingestToken = readOrCreateIngestToken(options.dataDir);
    this.#tailer = new LogTailer({
      logsDir: join(options.dataDir, "logs"),
      index: this.index,
      onLines: (lines) => this.hub.publish(lines),
    });
  }

  start(): void {
    this.#tailer.start();
    const enforce = () => {
      try {
        this.index.enforceRetention();
        this.traces.enforceRetention();
      } catch (error) {
        logger.warn({ err: error }, "log/trace retention failed");
      }
    };
    enforce();
    this.#retention = setInterval(enforce, RETENTION_EVERY_MS);
  }

  stop(): void {
    this.#tailer.stop();
    clearInterval(this.#retention);
    this.index.close();
    this.traces.close();
  }

  /** Where instances send OTLP; set once the API's address is known (`http://host:port`). */
  setApiBase(base: string): void {
    this.#apiBase = base;
  }

  /**
   * OTEL_* variables for an instance, so an app using an OpenTelemetry SDK exports to Rampart with no code or
   * config: endpoint, ingest token, protocol (http/protobuf: every SDK has it, not all have http/json, and some
   * default to gRPC), service name and resource attributes that place its spans and logs. Empty until the API
   * address is known.
   */
  otelEnv(env: string, app: string, release: number): Record<string, string> {
    if (this.#apiBase === undefined) return {};
    return {
      OTEL_EXPORTER_OTLP_ENDPOINT: this.#apiBase,
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${this.ingestToken}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      OTEL_SERVICE_NAME: app,
      OTEL_RESOURCE_ATTRIBUTES: `rampart.env=${env},rampart.app=${app},rampart.release=${release}`,
    };
  }

  protocol(): ProtocolPlugin {
    return otlpLogsTracesProtocol({
      ingestToken: this.ingestToken,
      now: () => Date.now(),
      acceptLines: (lines) => {
        this.index.append(lines);
        this.hub.publish(lines);
      },
      acceptSpans: (spans) => this.traces.insert(spans),
    });
  }
}

/** The API address instances can reach: a wildcard listen address is reached on loopback. */
export function otlpBaseUrl(host: string, port: number): string {
  const reachable = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
