import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { releaseStatuses } from "../releases/release.types.ts";
import { rolloutStates } from "../releases/rollout.types.ts";
import { instanceStatuses } from "../runtime/instance.types.ts";
import { isSameProcess } from "../runtime/process-info.ts";
import { edgesOf } from "./processes.ts";

/**
 * What "state consistent" means after a drill, checked on the store itself (opened read-only, beside the
 * running platform) rather than through the API, so a bug in the API cannot hide a broken store.
 */
export interface StateCheckInput {
  dataDir: string;
  /** Events the drill saw acknowledged (SSE or API) before its fault: id → type. Each must still be there. */
  acknowledged?: ReadonlyMap<number, string>;
  /** Every event id the drill received over the stream, in arrival order (across reconnects). */
  streamed?: readonly number[];
}

export interface StateCheckResult {
  ok: boolean;
  problems: string[];
  /** Worth a look but not wrong, e.g. a temp file a kill -9 left behind. */
  warnings: string[];
}

type Row = Record<string, unknown>;

// Which release statuses each rollout state may sit beside. A crash between two transactions can leave a
// rollout one step behind its release (e.g. starting while the release is already deploying): both are listed.
const RELEASE_STATUS_BY_ROLLOUT_STATE: Record<string, readonly string[]> = {
  building: ["pending"],
  starting: ["pending", "deploying"],
  shifting: ["deploying", "live"],
  warm: ["live", "superseded", "rolled_back"],
  draining: ["live", "superseded", "rolled_back"],
  completed: ["live", "superseded", "rolled_back"],
  failed: ["failed", "rolled_back"],
};
const BLOCKING = new Set(["building", "starting", "shifting"]);
// Statuses whose process must be running: anything else is between processes (crashed, awaiting restart),
// has given up (failed) or is gone (stopped).
const RUNNING = new Set(["healthy", "unhealthy", "stopping"]);

export function checkState(input: StateCheckInput): StateCheckResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  const path = join(input.dataDir, "rampart.db");
  if (!existsSync(path)) return { ok: false, problems: [`no store at ${path}`], warnings };
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const all = (sql: string): Row[] => db.prepare(sql).all() as Row[];
    const integrity = all("PRAGMA integrity_check").map((r) => String(Object.values(r)[0]));
    if (integrity.join() !== "ok") problems.push(`integrity_check: ${integrity.slice(0, 5).join("; ")}`);
    checkReleases(all, problems);
    checkRollouts(all, problems);
    checkInstances(all, problems);
    checkEdge(all, input.dataDir, problems);
    checkEvents(all, input, problems);
  } finally {
    db.close();
  }
  checkFiles(input.dataDir, problems, warnings);
  return { ok: problems.length === 0, problems, warnings };
}

function checkReleases(all: (sql: string) => Row[], problems: string[]): void {
  for (const r of all("select env, app, count(*) as n from releases where status = 'live' group by env, app having n > 1")) {
    problems.push(`${r.env}/${r.app}: ${r.n} live releases`);
  }
  for (const r of all("select env, app, number, status from releases")) {
    if (!(releaseStatuses as readonly unknown[]).includes(r.status))
      problems.push(`release ${r.env}/${r.app}#${r.number}: unknown status ${String(r.status)}`);
  }
  // A release still on its way must have a rollout carrying it, or nothing would ever finish it.
  const orphans = all(`select r.env, r.app, r.number, r.status from releases r where r.status in ('pending', 'deploying')
    and not exists (select 1 from rollouts o where o.env = r.env and o.app = r.app and o.release = r.number and o.state in ('building', 'starting', 'shifting'))`);
  for (const r of orphans) problems.push(`release ${r.env}/${r.app}#${r.number} is ${r.status} with no rollout moving it`);
}

function checkRollouts(all: (sql: string) => Row[], problems: string[]): void {
  const rows = all(
    "select o.id, o.env, o.app, o.release, o.state, o.finished_at, o.data, r.status from rollouts o left join releases r on r.env = o.env and r.app = o.app and r.number = o.release",
  );
  const blocking = new Map<string, number>();
  for (const o of rows) {
    const name = `rollout ${o.id} (${o.env}/${o.app}#${o.release})`;
    const state = String(o.state);
    if (!(rolloutStates as readonly string[]).includes(state)) {
      problems.push(`${name}: unknown state ${state}`);
      continue;
    }
    if (o.status === null) problems.push(`${name}: its release does not exist`);
    else if (!RELEASE_STATUS_BY_ROLLOUT_STATE[state]?.includes(String(o.status)))
      problems.push(`${name}: state ${state} beside release status ${String(o.status)}`);
    const finished = state === "completed" || state === "failed";
    if (finished !== (o.finished_at !== null)) problems.push(`${name}: state ${state} with finished_at ${String(o.finished_at)}`);
    try {
      const data = JSON.parse(String(o.data)) as unknown;
      if (typeof data !== "object" || data === null || Array.isArray(data)) problems.push(`${name}: data is not an object`);
    } catch {
      problems.push(`${name}: data is not JSON`);
    }
    if (BLOCKING.has(state)) {
      const key = `${o.env}/${o.app}`;
      blocking.set(key, (blocking.get(key) ?? 0) + 1);
    }
  }
  for (const [key, n] of blocking) if (n > 1) problems.push(`${key}: ${n} rollouts moving traffic at once`);
}

function checkInstances(all: (sql: string) => Row[], problems: string[]): void {
  for (const i of all("select id, status, pid, pid_start from instances")) {
    const status = String(i.status);
    if (!(instanceStatuses as readonly string[]).includes(status)) {
      problems.push(`instance ${i.id}: unknown status ${status}`);
      continue;
    }
    const alive = typeof i.pid === "number" && typeof i.pid_start === "string" && isSameProcess(i.pid, i.pid_start);
    if (RUNNING.has(status) && !alive)
      problems.push(`instance ${i.id} is ${status} but pid ${String(i.pid)} is not running with its recorded start time`);
    // Starting with a pid: spawned and not yet healthy, so it must be running too (a dead one is noticed as crashed).
    if (status === "starting" && i.pid !== null && !alive) problems.push(`instance ${i.id} is starting but pid ${String(i.pid)} is gone`);
    if (status === "stopped" && alive) problems.push(`instance ${i.id} is stopped but pid ${String(i.pid)} still runs (leaked)`);
  }
}

function checkEdge(all: (sql: string) => Row[], dataDir: string, problems: string[]): void {
  const row = all("select value from kv where key = 'edge'")[0];
  if (!row) return;
  const edge = JSON.parse(String(row.value)) as { pid?: number; pidStart?: string };
  if (typeof edge.pid !== "number" || typeof edge.pidStart !== "string" || !isSameProcess(edge.pid, edge.pidStart)) {
    problems.push(`the recorded edge (pid ${String(edge.pid)}) is not running`);
  }
  // An edge nobody records gets no table updates and is never stopped.
  const untracked = edgesOf(dataDir).filter((pid) => pid !== edge.pid);
  if (untracked.length > 0) problems.push(`edge process(es) running that the store does not record: ${untracked.join(", ")}`);
}

function checkEvents(all: (sql: string) => Row[], input: StateCheckInput, problems: string[]): void {
  const acknowledged = input.acknowledged ?? new Map<number, string>();
  const stored = new Map(all("select id, type from events").map((r) => [Number(r.id), String(r.type)]));
  let lost = 0;
  for (const [id, type] of acknowledged) {
    const now = stored.get(id);
    if (now === type) continue;
    if (lost++ < 5)
      problems.push(
        now === undefined ? `acknowledged event ${id} (${type}) is gone` : `acknowledged event ${id} was ${type}, is now ${now}`,
      );
  }
  if (lost > 5) problems.push(`… ${lost} acknowledged events lost in all`);
  const streamed = input.streamed ?? [];
  for (let k = 1; k < streamed.length; k++) {
    const [before, after] = [streamed[k - 1] ?? 0, streamed[k] ?? 0];
    if (after <= before) {
      problems.push(`the event stream went from id ${before} to ${after}: ids must increase`);
      break;
    }
  }
  // Every event committed between the first and the last the drill received reached the stream: none skipped.
  if (streamed.length > 0) {
    const seen = new Set(streamed);
    const [first, last] = [streamed[0] ?? 0, streamed.at(-1) ?? 0];
    const missed = [...stored.keys()].filter((id) => id >= first && id <= last && !seen.has(id));
    if (missed.length > 0)
      problems.push(`${missed.length} stored event(s) never reached the stream, e.g. ${missed.slice(0, 5).join(", ")}`);
  }
}

/** Nothing half-written: every JSON file Rampart keeps in the data dir parses (artifact sources are the user's). */
function checkFiles(dataDir: string, problems: string[], warnings: string[]): void {
  const walk = (dir: string, depth: number): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < 4 && !(entry.name === "src" && dir.includes("artifacts")) && !entry.name.startsWith(".tmp-")) walk(path, depth + 1);
        continue;
      }
      if (entry.name.endsWith(".tmp")) warnings.push(`leftover temp file ${path}`);
      if (!entry.name.endsWith(".json")) continue;
      try {
        JSON.parse(readFileSync(path, "utf8"));
      } catch {
        problems.push(`${path} is not valid JSON (half-written?)`);
      }
    }
  };
  walk(dataDir, 0);
}
