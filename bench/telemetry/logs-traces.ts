/**
 * `npm run bench:telemetry` (logs and traces part): log lines ingested per second on one core (the control plane's
 * tailer reading runner files into the index), search latency over 1 million stored lines, spans ingested per
 * second (edge + OTLP JSON), and the memory held. The table goes to docs/benchmarks.md.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { formatLogLine } from "../../src/runtime/log-file-writer.ts";
import { LogIndexStore } from "../../src/telemetry/log-index.store.ts";
import { LogTailer } from "../../src/telemetry/log-tailer.ts";
import { LOG_LEVELS } from "../../src/telemetry/log-record.ts";
import { TraceStore } from "../../src/telemetry/trace.store.ts";
import { spansFromOtlpJson } from "../../src/telemetry/otlp-traces.ts";
import { spanFromEdge } from "../../src/telemetry/trace-ingest.ts";

const LINES = Number(process.env.BENCH_LOG_LINES ?? 1_000_000);
const INSTANCES = 8;
const SPANS = Number(process.env.BENCH_SPANS ?? 200_000);

export interface LogsTracesResult {
  rows: string[][];
}

export async function runLogsTracesBench(): Promise<LogsTracesResult> {
  const dir = mkdtempSync(join(tmpdir(), "rampart-bench-logs-"));
  const rows: string[][] = [];
  try {
    const start = Date.now() - 3600_000;
    const clock = { now: () => Date.now() };
    const logsDir = join(dir, "logs");
    mkdirSync(join(logsDir, "production", "web"), { recursive: true });
    let bytes = 0;
    // Pino-style JSON lines and plain lines, one in 1,000 an error, one line carrying a rare token.
    for (let instance = 0; instance < INSTANCES; instance++) {
      const file = join(logsDir, "production", "web", `production.web.r1.${instance}.log`);
      const chunk: string[] = [];
      for (let i = instance; i < LINES; i += INSTANCES) {
        const at = start + Math.floor((i / LINES) * 3600_000);
        const text =
          i === LINES >> 1
            ? `{"level":30,"time":${at},"msg":"needle-token-q7 found","req":${i}}`
            : i % 2 === 0
              ? `{"level":${i % 1000 === 0 ? 50 : 30},"time":${at},"pid":4242,"hostname":"web-1","reqId":"req-${i}","msg":"request completed","res":{"statusCode":200},"responseTime":${i % 97}}`
              : `GET /api/items/${i % 5000} 200 ${i % 97}ms user=${i % 300}`;
        chunk.push(formatLogLine(at, "out", text));
        if (chunk.length === 20_000) {
          const data = chunk.join("");
          bytes += Buffer.byteLength(data);
          appendFileSync(file, data);
          chunk.length = 0;
        }
      }
      const data = chunk.join("");
      bytes += Buffer.byteLength(data);
      appendFileSync(file, data);
    }

    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const index = new LogIndexStore({ dir: join(dir, "index"), clock, segmentMs: 24 * 3600_000, maxBytes: 8 * 1024 ** 3 });
    const tailer = new LogTailer({ logsDir, index });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    // A pass per chunk of each file, as the control plane does (its timer at 0 while there is a backlog).
    const passTimes: number[] = [];
    for (;;) {
      const p0 = performance.now();
      const more = tailer.pass();
      passTimes.push(performance.now() - p0);
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      if (!more) break;
    }
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    rows.push([
      "log lines ingested (tail → parse → FTS5 index)",
      `${fmt(LINES / (ms / 1000))} lines/s, ${(bytes / 1024 ** 2 / (ms / 1000)).toFixed(1)} MiB/s`,
      `${fmt(LINES / (cpuMs / 1000))} lines per CPU-second; the process used ${((cpuMs / ms) * 100).toFixed(0)} % of one core (${fmt(LINES)} lines, ${(bytes / 1024 ** 2).toFixed(0)} MiB, ${INSTANCES} files)`,
    ]);
    passTimes.sort((a, b) => a - b);
    const passAt = (q: number) => (passTimes[Math.min(passTimes.length - 1, Math.floor(q * passTimes.length))] ?? 0).toFixed(0);
    rows.push([
      "one ingest pass (the control plane's event loop is busy for it)",
      `median ${passAt(0.5)} ms, p99 ${passAt(0.99)} ms, max ${passAt(1)} ms`,
      `${passTimes.length} passes of ≤ 256 KiB; the long ones include FTS5 merging its segments at commit`,
    ]);
    rows.push([
      "index size on disk",
      `${(index.totalBytes() / 1024 ** 2).toFixed(0)} MiB`,
      `${(index.totalBytes() / bytes).toFixed(2)} × the raw log bytes`,
    ]);

    const searches: [string, Parameters<LogIndexStore["query"]>[0]][] = [
      ["search: rare token (`--grep needle-token-q7`)", { env: "production", app: "web", grep: "needle-token-q7", limit: 200 }],
      ["search: common token (`--grep completed`, newest 200)", { env: "production", app: "web", grep: "completed", limit: 200 }],
      ["search: rare, mid-word, other case (`--grep EDLE-TOKEN-Q`)", { env: "production", app: "web", grep: "EDLE-TOKEN-Q", limit: 200 }],
      ["search: two characters, rare (`--grep q7`: no index, a scan)", { env: "production", app: "web", grep: "q7", limit: 200 }],
      [
        "search: case-sensitive, no match (`--grep Completed --case-sensitive`)",
        { env: "production", app: "web", grep: "Completed", caseSensitive: true, limit: 200 },
      ],
      [
        "search: level ≥ error, last 30 min",
        { env: "production", app: "web", minLevel: LOG_LEVELS.error, sinceMs: start + 1800_000, limit: 200 },
      ],
      ["search: level ≥ error, whole hour, newest 1,000", { env: "production", app: "web", minLevel: LOG_LEVELS.error, limit: 1000 }],
      [
        "search: grep + level + 10 min window",
        {
          env: "production",
          app: "web",
          grep: "request",
          minLevel: LOG_LEVELS.error,
          sinceMs: start + 1200_000,
          untilMs: start + 1800_000,
          limit: 200,
        },
      ],
      ["search: newest 200 lines of the app", { env: "production", app: "web", limit: 200 }],
    ];
    for (const [name, query] of searches) {
      const times: number[] = [];
      let found = 0;
      for (let i = 0; i < 11; i++) {
        const s = performance.now();
        found = index.query(query).length;
        times.push(performance.now() - s);
      }
      times.sort((a, b) => a - b);
      rows.push([name, `median ${times[5]?.toFixed(1)} ms, max ${times[10]?.toFixed(1)} ms`, `${found} lines found of ${fmt(LINES)}`]);
    }
    rows.push([
      "memory while ingesting and searching",
      `RSS +${((rssPeak - rssBefore) / 1024 ** 2).toFixed(0)} MiB at peak (${(rssPeak / 1024 ** 2).toFixed(0)} MiB in all)`,
      "RSS before ingest includes the generated test files' data; ingest reads ≤ 256 KiB per pass, ≤ 25 segments open with SQLite's default 2 MiB page cache each",
    ]);
    index.close();

    const traces = new TraceStore({ path: join(dir, "traces.db"), clock });
    const edgeSpans = Array.from({ length: SPANS / 2 }, (_, i) =>
      spanFromEdge({
        traceId: hex(i, 32),
        spanId: hex(i, 16),
        parentSpanId: null,
        env: "production",
        app: "web",
        release: 1,
        instance: "production.web.r1.0",
        route: "/api/",
        method: "GET",
        target: `/api/items/${i}`,
        status: i % 100 === 0 ? 500 : 200,
        requestId: `r${i}`,
        startMs: start + i,
        durationMs: (i % 200) / 3,
      }),
    );
    const otlpBody = JSON.stringify({
      resourceSpans: [
        {
          resource: {
            attributes: [
              { key: "service.name", value: { stringValue: "web" } },
              { key: "rampart.env", value: { stringValue: "production" } },
              { key: "rampart.app", value: { stringValue: "web" } },
            ],
          },
          scopeSpans: [
            {
              scope: { name: "bench" },
              spans: Array.from({ length: SPANS / 2 }, (_, i) => ({
                traceId: hex(i, 32),
                spanId: hex(i + 1e9, 16),
                parentSpanId: hex(i, 16),
                name: "db.query",
                kind: 3,
                startTimeUnixNano: `${BigInt(start + i) * 1_000_000n}`,
                endTimeUnixNano: `${BigInt(start + i + 2) * 1_000_000n}`,
                attributes: [{ key: "db.system", value: { stringValue: "postgresql" } }],
                status: { code: 1 },
              })),
            },
          ],
        },
      ],
    });
    const s0 = performance.now();
    for (let i = 0; i < edgeSpans.length; i += 1000) traces.insert(edgeSpans.slice(i, i + 1000));
    const otlpSpans = spansFromOtlpJson(JSON.parse(otlpBody));
    for (let i = 0; i < otlpSpans.length; i += 1000) traces.insert(otlpSpans.slice(i, i + 1000));
    const sms = performance.now() - s0;
    rows.push([
      "spans ingested (edge batches + one OTLP JSON body, parsed and stored)",
      `${fmt(SPANS / (sms / 1000))} spans/s`,
      `${fmt(SPANS)} spans, ${(Buffer.byteLength(otlpBody) / 1024 ** 2).toFixed(0)} MiB of OTLP JSON`,
    ]);
    const q0 = performance.now();
    const slow = traces.listRoots({ env: "production", app: "web", route: "/api/", sinceMs: start, slowest: true, limit: 20 });
    rows.push(["slowest 20 traces of a route (over all stored)", `${(performance.now() - q0).toFixed(1)} ms`, `${slow.length} traces`]);
    const t1 = performance.now();
    const tree = traces.trace(hex(1234, 32));
    rows.push(["one trace by id", `${(performance.now() - t1).toFixed(2)} ms`, `${tree.length} spans`]);
    traces.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows };
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0").slice(-width);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function printLogsTraces(result: LogsTracesResult): void {
  console.log(
    `\n### Telemetry — logs and traces\n\nMachine: ${cpus()[0]?.model ?? "?"} × ${cpus().length}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. Command: \`npm run bench:telemetry\`.\n`,
  );
  console.log("| Measure | Result | Notes |\n|---|---|---|");
  for (const row of result.rows) console.log(`| ${row.join(" | ")} |`);
}

if (import.meta.main) printLogsTraces(await runLogsTracesBench());
