/**
 * `npm run bench:flags`: (1) evaluations/s of @rampart/sdk against unleash-client, GrowthBook and LaunchDarkly
 * on the same flags in one process; (2) time from a flag change to 100 connected SDKs against a real
 * `rampart up`. Prints both tables and writes them to the "## Flags" section of docs/benchmarks.md.
 * Options: --eval-only, --propagation-only, --no-write; env ROUNDS, ROUND_MS, SDKS, CHANGES.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { benchEvaluations, formatEvalTable } from "./eval-bench.ts";
import { growthbookPeer, launchDarklyPeer, makeUsers, rampartOpenFeaturePeer, rampartPeer, unleashPeer } from "./peers.ts";
import { benchPropagation, formatPropagation } from "./propagation.ts";
import { gcRunsDuring } from "./gc-count.ts";

const args = new Set(process.argv.slice(2));
const PEERS = ["unleash-client", "@growthbook/growthbook", "@launchdarkly/node-server-sdk"];
const sections: string[] = [];

if (!args.has("--propagation-only")) {
  const users = makeUsers(4096);
  const peers = [
    rampartPeer(users),
    await unleashPeer(users),
    growthbookPeer(users),
    await launchDarklyPeer(users),
    await rampartOpenFeaturePeer(users),
  ];
  const results = await benchEvaluations(peers, users, {
    rounds: Number(process.env.ROUNDS ?? 7),
    roundMs: Number(process.env.ROUND_MS ?? 250),
  });
  const n = 10_000_000;
  const gcLine =
    `Garbage collections while @rampart/sdk evaluates ${n / 1e6} M times after warm-up (0–1 = the loop does not allocate): ` +
    `(a) ${await gcRunsDuring(peers[0]!, "plain", n)}, (b) ${await gcRunsDuring(peers[0]!, "targeted", n)}.`;
  for (const p of peers) await p.close();
  const table = formatEvalTable(results, PEERS);
  console.log(`${table}\n\n${gcLine}`);
  sections.push("### Evaluations per second (one process, each SDK local/offline, metrics and events off)\n", table, `\n${gcLine}`);
}

if (!args.has("--eval-only")) {
  const result = await benchPropagation({ sdks: Number(process.env.SDKS ?? 100), rounds: Number(process.env.CHANGES ?? 20) });
  const table = formatPropagation(result);
  console.log(`\n${table}`);
  sections.push("\n### Flag change to connected SDKs (real `rampart up`, SSE)\n", table);
}

if (!args.has("--no-write") && !args.has("--eval-only") && !args.has("--propagation-only")) {
  const machine = `${cpus().length}-core ${cpus()[0]?.model.trim() ?? "unknown CPU"}, Node ${process.version}`;
  const header = `## Flags\n\nMachine: ${machine}. Date: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC. Command: \`npm run bench:flags\`.\n`;
  const path = fileURLToPath(new URL("../../docs/benchmarks.md", import.meta.url));
  const text = readFileSync(path, "utf8");
  const body = `${header}\n${sections.join("\n")}\n\n${readFileSync(new URL("./notes.md", import.meta.url), "utf8").trim()}\n`;
  // Replace only our own section: from "## Flags" up to the next second-level heading.
  const start = text.search(/^## Flags\s*$/m);
  let next: string;
  if (start === -1) next = `${text.trimEnd()}\n\n${body}`;
  else {
    const rest = text.slice(start + 1);
    const end = rest.search(/^## /m);
    next = text.slice(0, start) + body + (end === -1 ? "" : `\n${rest.slice(end)}`);
  }
  writeFileSync(path, next);
  console.log(`\nwrote the Flags section of ${path}`);
}
