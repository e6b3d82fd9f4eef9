import { runH2Attacks } from "../edge/h2-attack-corpus.ts";
import { runCorpus } from "../edge/smuggling-corpus.ts";
import { waitFor } from "../shared/wait.ts";
import { DrillPlatform, drillRow, ENV, expectations } from "./drill-platform.ts";
import type { Drill, DrillOptions, DrillResult } from "./drill.types.ts";

/**
 * The edge's malformed-request corpus (src/edge/smuggling-corpus.ts: ambiguous framing, smuggling attempts,
 * oversized headers, declined upgrades) sent over raw sockets to a real platform's edge while steady traffic
 * runs: every case gets its status and a closed connection, and the good traffic around it does not notice.
 * Production speaks cleartext HTTP/2 too, and the HTTP/2 attacks (src/edge/h2-attack-corpus.ts) follow on the same
 * port: each connection is ended or its streams refused, while another HTTP/2 client keeps being answered.
 */
async function edgeCorpus(options: DrillOptions): Promise<DrillResult[]> {
  const platform = await DrillPlatform.start({ ...options, productionYaml: "http2: { cleartext: true }" });
  try {
    const checks = expectations();
    const { expect } = checks;
    const load = platform.load(60_000);
    await waitFor(() => (load.current().ok >= options.rate ? true : undefined), { timeoutMs: 10_000 });
    const acknowledged = platform.watcher.acknowledged();
    const port = platform.project.ports[ENV];
    if (port === undefined) throw new Error(`no port for ${ENV}`);
    const results = await runCorpus(port);
    const attacks = await runH2Attacks(port);
    const result = await load.stop();
    for (const r of results)
      expect(r.ok, `${r.name}: expected ${r.expect}, got ${r.status ?? "no answer"}${r.closed ? "" : ", connection left open"}`);
    for (const a of attacks) expect(a.ok, `${a.name}: ${a.detail}`);
    expect(result.failed === 0, `no failed request in the steady traffic (${result.failed})`);
    const state = await platform.check(acknowledged);
    const passed = results.filter((r) => r.ok).length;
    const ended = attacks.filter((a) => a.ok).length;
    return [
      drillRow("malformed-request corpus", result, null, state, checks, [
        `${passed}/${results.length} corpus cases answered as expected, connection closed`,
        `${ended}/${attacks.length} HTTP/2 attacks ended by the edge, other clients answered`,
      ]),
    ];
  } finally {
    await platform.cleanup();
  }
}

export const edgeCorpusDrill: Drill = { name: "edge-corpus", run: edgeCorpus };
