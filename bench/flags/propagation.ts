/**
 * Time from a flag change to every one of N connected SDKs serving it, against a real `rampart up`: N
 * FlagsClients stream from the platform; each round flips the flag's kill switch through the API and records,
 * per SDK, the time from just before the API request to the SDK's snapshot swap (the change event, after
 * which `client.boolean` answers the new value). The clock starts before the request, so the figure includes
 * the API call, the commit, the snapshot rebuild and the push.
 */
import { killPlatform, startRampartUp } from "../../src/testing/rampart-process.ts";
import { createTestProject } from "../../src/testing/test-project.ts";
import { readCredentials } from "../../src/daemon/credentials.ts";
import { waitFor } from "../../src/shared/wait.ts";
import { FlagsClient } from "../../packages/sdk/src/index.ts";

export interface PropagationResult {
  sdks: number;
  rounds: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Per round, the time until the last SDK had the change. */
  allP50Ms: number;
  allMaxMs: number;
}

const ENV = "staging";
const FLAG = "bench-propagation";

async function api(base: string, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export async function benchPropagation(options: { sdks: number; rounds: number }): Promise<PropagationResult> {
  const project = await createTestProject({ instances: 1 });
  const up = await startRampartUp({ manifestPath: project.manifestPath, dataDir: project.dataDir });
  const clients: FlagsClient[] = [];
  try {
    const credentials = readCredentials(project.dataDir);
    if (!credentials) throw new Error("no credentials written by rampart up");
    const { api: base, token } = credentials;
    await api(base, token, "POST", "/api/v1/flags", { key: FLAG, description: "bench/flags propagation" });
    const { token: sdkToken } = (await api(base, token, "POST", "/api/v1/flag-tokens", { env: ENV })) as { token: string };
    await api(base, token, "PUT", `/api/v1/flags/${FLAG}/envs/${ENV}`, { enabled: true, fallthrough: { variation: "on" } });

    for (let i = 0; i < options.sdks; i++) clients.push(new FlagsClient({ url: base, sdkToken, metricsIntervalMs: 0 }));
    await Promise.all(clients.map((c) => c.ready(30_000)));
    await waitFor(() => (clients.every((c) => c.boolean(FLAG, {}, false)) ? true : undefined), { timeoutMs: 30_000 });

    const samples: number[] = [];
    const allTimes: number[] = [];
    let enabled = true;
    for (let round = 0; round < options.rounds; round++) {
      enabled = !enabled;
      const expected = enabled;
      const times = new Array<number>(clients.length).fill(-1);
      const listeners = clients.map((c, i) => {
        const onChange = () => {
          if (times[i] === -1 && c.boolean(FLAG, {}, !expected) === expected) times[i] = performance.now() - t0;
        };
        c.on("change", onChange);
        return onChange;
      });
      const t0 = performance.now();
      await api(base, token, "PUT", `/api/v1/flags/${FLAG}/envs/${ENV}`, { enabled, reason: "bench" });
      await waitFor(() => (times.every((t) => t >= 0) ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 5,
        onTimeout: () => new Error(`round ${round}: ${times.filter((t) => t < 0).length} SDKs never saw the change`),
      });
      clients.forEach((c, i) => c.off("change", listeners[i]!));
      samples.push(...times);
      allTimes.push(Math.max(...times));
    }
    samples.sort((a, b) => a - b);
    allTimes.sort((a, b) => a - b);
    return {
      sdks: options.sdks,
      rounds: options.rounds,
      samples: samples.length,
      p50Ms: quantile(samples, 0.5),
      p99Ms: quantile(samples, 0.99),
      maxMs: samples.at(-1)!,
      allP50Ms: quantile(allTimes, 0.5),
      allMaxMs: allTimes.at(-1)!,
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await killPlatform(project.dataDir, up);
  }
}

export function formatPropagation(r: PropagationResult): string {
  return [
    "| SDKs connected | changes | samples | p50 | p99 | max | all SDKs updated (median of rounds) | all SDKs updated (worst round) |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| ${r.sdks} | ${r.rounds} | ${r.samples} | ${r.p50Ms.toFixed(1)} ms | ${r.p99Ms.toFixed(1)} ms | ${r.maxMs.toFixed(1)} ms | ${r.allP50Ms.toFixed(1)} ms | ${r.allMaxMs.toFixed(1)} ms |`,
  ].join("\n");
}
