/**
 * Evaluations per second of each SDK on the same two flags, in one process: answers checked first, then a
 * warm-up that also calibrates each round to ~250 ms, then interleaved rounds (so a noisy neighbour on the
 * shared machine hits every SDK alike); the median round counts.
 */
import type { Peer, Scenario, User } from "./peers.ts";
import { COUNTRIES } from "./peers.ts";

export interface EvalResult {
  peer: string;
  scenario: Scenario;
  opsPerSec: number;
  /** Fastest and slowest round, to show the spread. */
  minOps: number;
  maxOps: number;
  share: number;
  api: "sync" | "async";
}

const MASK_SIZE = 4096; // users; a power of two so the index is `i & mask`

async function answer(peer: Peer, flag: Scenario, i: number): Promise<boolean> {
  return peer.sync ? peer.sync(flag, i) : peer.async!(flag, i);
}

/** Every SDK must give the same answers: plain always on; targeted off outside the list and on for ~50 % inside. */
export async function checkAnswers(peer: Peer, users: User[]): Promise<{ targetedShare: number }> {
  let inList = 0;
  let on = 0;
  for (let i = 0; i < users.length; i++) {
    if (!(await answer(peer, "plain", i))) throw new Error(`${peer.name}: plain flag off for ${users[i]!.id}`);
    const t = await answer(peer, "targeted", i);
    if (COUNTRIES.includes(users[i]!.country)) {
      inList++;
      if (t) on++;
    } else if (t) {
      throw new Error(`${peer.name}: targeted flag on for ${users[i]!.id} outside the country list`);
    }
  }
  const share = on / inList;
  if (Math.abs(share - 0.5) > 0.05)
    throw new Error(`${peer.name}: ${Math.round(share * 100)} % of the listed users are in the 50 % rollout`);
  return { targetedShare: share };
}

function roundSync(peer: Peer, flag: Scenario, n: number): number {
  const fn = peer.sync!;
  const mask = MASK_SIZE - 1;
  let on = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (fn(flag, i & mask)) on++;
  const ns = Number(process.hrtime.bigint() - t0);
  if (on < 0) console.log(on); // keeps the loop's result alive
  return (n / ns) * 1e9;
}

async function roundAsync(peer: Peer, flag: Scenario, n: number): Promise<number> {
  const fn = peer.async!;
  const mask = MASK_SIZE - 1;
  let on = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (await fn(flag, i & mask)) on++;
  const ns = Number(process.hrtime.bigint() - t0);
  if (on < 0) console.log(on);
  return (n / ns) * 1e9;
}

const round = (peer: Peer, flag: Scenario, n: number) =>
  peer.sync ? Promise.resolve(roundSync(peer, flag, n)) : roundAsync(peer, flag, n);

export async function benchEvaluations(peers: Peer[], users: User[], options: { rounds: number; roundMs: number }): Promise<EvalResult[]> {
  if (users.length !== MASK_SIZE) throw new Error(`benchEvaluations needs ${MASK_SIZE} users`);
  const shares = new Map<string, number>();
  for (const peer of peers) shares.set(peer.name, (await checkAnswers(peer, users)).targetedShare);
  const results: EvalResult[] = [];
  for (const scenario of ["plain", "targeted"] as const) {
    // Warm-up (JIT) and calibration: the iteration count that takes about roundMs.
    const sizes = new Map<string, number>();
    for (const peer of peers) {
      let n = 10_000;
      for (;;) {
        const t0 = performance.now();
        await round(peer, scenario, n);
        const ms = performance.now() - t0;
        if (ms > 100) {
          sizes.set(peer.name, Math.max(10_000, Math.round((n * options.roundMs) / ms)));
          break;
        }
        n *= 2;
      }
    }
    const samples = new Map<string, number[]>(peers.map((p) => [p.name, []]));
    for (let r = 0; r < options.rounds; r++) {
      for (const peer of peers) samples.get(peer.name)!.push(await round(peer, scenario, sizes.get(peer.name)!));
    }
    for (const peer of peers) {
      const s = samples.get(peer.name)!.sort((a, b) => a - b);
      results.push({
        peer: peer.name,
        scenario,
        opsPerSec: s[Math.floor(s.length / 2)]!,
        minOps: s[0]!,
        maxOps: s.at(-1)!,
        share: scenario === "plain" ? 1 : shares.get(peer.name)!,
        api: peer.sync ? "sync" : "async",
      });
    }
  }
  return results;
}

/** Markdown table: ops/s, ns/op, and the ratio against the fastest peer (the rows marked as peers). */
export function formatEvalTable(results: EvalResult[], peerNames: string[]): string {
  const lines = [
    "| scenario | SDK | API | evaluations/s (median) | ns/op | rounds min–max ops/s | share on (b) | vs fastest peer |",
    "|---|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const scenario of ["plain", "targeted"] as const) {
    const rows = results.filter((r) => r.scenario === scenario);
    const fastestPeer = Math.max(...rows.filter((r) => peerNames.includes(r.peer)).map((r) => r.opsPerSec));
    for (const r of rows) {
      const label = scenario === "plain" ? "(a) plain boolean" : "(b) in-list + 50 % rollout";
      const share = scenario === "plain" ? "—" : `${(r.share * 100).toFixed(1)} %`;
      lines.push(
        `| ${label} | ${r.peer} | ${r.api} | ${fmt(r.opsPerSec)} | ${(1e9 / r.opsPerSec).toFixed(0)} | ${fmt(r.minOps)}–${fmt(r.maxOps)} | ${share} | ${(r.opsPerSec / fastestPeer).toFixed(2)}x |`,
      );
    }
  }
  return lines.join("\n");
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`;
}
