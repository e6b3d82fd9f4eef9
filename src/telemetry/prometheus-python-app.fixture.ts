import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";

/**
 * An app instrumented with Python's official `prometheus_client` (Debian's python3-prometheus-client, which
 * scripts/test-deps.sh installs): a counter, a gauge, a histogram whose observations carry exemplars and a
 * summary, in the default registry beside the client's own process, platform and GC collectors. Its
 * `make_wsgi_app` answers in OpenMetrics 1.0.0 or text 0.0.4 by the Accept header, as in production.
 * `GET /work` does one job. Prints its port, then serves until killed.
 */
const PYTHON_APP = `
from wsgiref.simple_server import make_server, WSGIRequestHandler
from prometheus_client import Counter, Gauge, Histogram, Summary, make_wsgi_app

jobs = Counter("jobs", "Jobs done", ["queue"])
jobs.labels("default")
depth = Gauge("queue_depth", "Jobs waiting")
seconds = Histogram("job_seconds", "Job duration", buckets=(0.1, 0.5, 1.0))
size = Summary("payload_bytes", "Payload size")
metrics = make_wsgi_app()

def app(environ, start_response):
    if environ["PATH_INFO"] == "/work":
        jobs.labels("default").inc()
        depth.set(7)
        seconds.observe(0.05, exemplar={"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"})
        size.observe(100)
        start_response("200 OK", [("content-type", "text/plain")])
        return [b"worked"]
    return metrics(environ, start_response)

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
print(server.server_port, flush=True)
server.serve_forever()
`;

/** Debian's interpreter first: a python3 earlier on PATH (pyenv, a venv) does not see Debian's modules. */
export function pythonWithPrometheusClient(): string {
  for (const candidate of ["/usr/bin/python3", "python3"]) {
    const probe = spawnSync(candidate, ["-c", "import prometheus_client"], { stdio: "ignore" });
    if (probe.status === 0) return candidate;
  }
  throw new Error(
    "no python3 here can import prometheus_client, which this test scrapes: run `sh scripts/test-deps.sh` as root " +
      "(or apt-get install python3-prometheus-client), then run the test again",
  );
}

export interface PythonApp {
  port: number;
  child: ChildProcess;
  stop: () => Promise<void>;
}

export async function startPythonApp(): Promise<PythonApp> {
  const child = spawn(pythonWithPrometheusClient(), ["-c", PYTHON_APP], { stdio: ["ignore", "pipe", "inherit"] });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGKILL");
    await once(child, "exit");
  };
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const deadline = setTimeout(() => child.kill("SIGKILL"), 15_000);
  try {
    for await (const line of lines) return { port: Number(line), child, stop };
  } finally {
    clearTimeout(deadline);
  }
  throw new Error(`the Python app exited (${child.exitCode ?? child.signalCode}) before printing its port`);
}
