import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ApiClient } from "../client/api-client.ts";
import { credentialsSchema } from "../daemon/credentials.ts";
import { isSameProcess, readProcessGroup, readProcessStartTime } from "../runtime/process-info.ts";
import { waitFor } from "../shared/wait.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "src", "cli", "main.ts");

export interface RampartUp {
  process: ChildProcess;
  pid: number;
  client: ApiClient;
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/**
 * Starts a real `rampart up` process on an ephemeral API port and waits until its API answers.
 * `uid`/`gid` run it as another user (a drill needs a non-root platform for file permissions to bind it).
 */
export async function startRampartUp(options: {
  manifestPath: string;
  dataDir: string;
  uid?: number;
  gid?: number;
  /** Another command line that runs `rampart up` (a systemd unit's ExecStart), instead of the CLI on port 0. */
  command?: { argv: string[]; cwd: string | null };
  /** The whole environment instead of this process's (what systemd gives a service). */
  env?: Record<string, string>;
  /** More environment over this process's own (without `env`), read when the platform starts. */
  addEnv?: Record<string, string>;
  /** How long it may take to come up (default 30 s; a benchmark's large project on a loaded machine takes longer). */
  timeoutMs?: number;
}): Promise<RampartUp> {
  const [file, ...args] = options.command?.argv ?? [
    process.execPath,
    CLI,
    "up",
    "--config",
    options.manifestPath,
    "--data",
    options.dataDir,
    "--api",
    "127.0.0.1:0",
  ];
  const child = spawn(file ?? process.execPath, args, {
    cwd: options.command?.cwd ?? undefined,
    stdio: ["ignore", "pipe", "pipe"],
    // The audit and secrets keys go beside the data dir (never in it), not into the home of whoever runs the tests.
    env: {
      RAMPART_AUDIT_KEY_FILE: join(dirname(resolve(options.dataDir)), "audit-key"),
      RAMPART_SECRETS_KEY_FILE: join(dirname(resolve(options.dataDir)), "test-secrets.key"),
      ...(options.env ?? { ...process.env, RAMPART_API: "", RAMPART_TOKEN: "", ...options.addEnv }),
    },
    uid: options.uid,
    gid: options.gid,
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  try {
    const credentials = await waitFor(
      () => {
        if (exitCode !== undefined) throw new Error(`rampart up exited with ${exitCode}:\n${output}`);
        const path = join(options.dataDir, "credentials.json");
        if (!existsSync(path)) return undefined;
        const parsed = credentialsSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
        return parsed.success && parsed.data.pid === child.pid && !parsed.data.api.includes("starting") ? parsed.data : undefined;
      },
      { timeoutMs: options.timeoutMs ?? 30_000, onTimeout: () => new Error(`rampart up did not come up:\n${output}`) },
    );
    // An API served over TLS (rampart.yaml `api.tls`) is trusted as the CLI on its machine trusts it: its certificate pinned.
    const tls = credentials.certFile ? { ca: readFileSync(credentials.certFile, "utf8"), pinned: true } : undefined;
    const client = new ApiClient({ baseUrl: credentials.api, token: credentials.token, tls });
    await waitFor(async () => (await client.health().catch(() => undefined)) ?? undefined, { timeoutMs: 10_000 });
    return { process: child, pid: child.pid ?? 0, client, output: () => output, exited };
  } catch (error) {
    // A platform that did not come up may still have started its edge (detached, so it outlives the test): stop both.
    if (exitCode === undefined) child.kill("SIGKILL");
    await killPlatform(options.dataDir);
    throw error;
  }
}

/** Runs the CLI to completion, as a user would. */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: "utf8",
    input: options.input,
    env: { ...process.env, ...options.env },
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Kills everything a test's platform started: the control plane, the edge and every instance (by the pids the
 * store recorded, checked against their start times so nothing else is ever signalled), and any edge whose command
 * line names this data dir (one the store does not record, or whose data dir is gone).
 */
export async function killPlatform(dataDir: string, up?: RampartUp): Promise<void> {
  if (up && up.process.exitCode === null) up.process.kill("SIGKILL");
  const pids = recordedPids(dataDir);
  for (const { pid, start } of pids) {
    if (!isSameProcess(pid, start)) continue;
    // The edge and each runner lead their own process group: killing the group also takes the edge's workers
    // (which outlive a killed primary on purpose) and the app process under a runner.
    killGroup(pid);
    process.kill(pid, "SIGKILL");
  }
  // A control plane the test lost hold of (a restart whose startRampartUp failed) and an edge the store does not name
  // (started just before its record was written, or its data dir already removed) are found by the data dir on their
  // command lines: control planes first, so none can start the edge again.
  const strays = [...controlPlanePidsByCommandLine(dataDir), ...edgePidsByCommandLine(dataDir), ...runnerPidsByOpenFiles(dataDir)].map(
    (pid) => ({
      pid,
      start: processStart(pid) ?? "",
    }),
  );
  for (const { pid } of strays) {
    killGroup(pid);
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  const all = [...pids, ...strays];
  await waitFor(() => (all.every(({ pid, start }) => !isSameProcess(pid, start)) ? true : undefined), { timeoutMs: 10_000 });
}

/** Edge processes (`edge-main.ts --data DIR`) running for this data dir, from /proc. */
export function edgePidsByCommandLine(dataDir: string): number[] {
  return pidsByCommandLine(dataDir, (argv) => argv.some((arg) => arg.endsWith("/edge-main.ts")));
}

/** `rampart up --data DIR` control planes running for this data dir (the CLI run directly or through bin/rampart). */
export function controlPlanePidsByCommandLine(dataDir: string): number[] {
  return pidsByCommandLine(dataDir, (argv) => argv.includes("up") && argv.some((arg) => arg.endsWith("/src/cli/main.ts")));
}

/**
 * Instance runners holding files in this data dir (their log and exit files) that the store does not name: started
 * just before their record was written, or their rows gone with a removed environment. A runner's argv is its title
 * (`rampart-runner ID`), so its open files, not its command line, say whose it is.
 */
export function runnerPidsByOpenFiles(dataDir: string): number[] {
  const wanted = `${resolve(dataDir)}/`;
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8");
      // Not titled yet: still `node instance-runner.ts DATA/instances/ID/runner-spec.json`.
      if (cmdline.includes("instance-runner.ts") && cmdline.includes(wanted)) pids.push(Number(name));
      else if (!cmdline.startsWith("rampart-runner")) continue;
      else if (readdirSync(`/proc/${name}/fd`).some((fd) => readlinkOrEmpty(`/proc/${name}/fd/${fd}`).startsWith(wanted)))
        pids.push(Number(name));
    } catch {
      // Exited meanwhile, or not ours to read.
    }
  }
  return pids;
}

function readlinkOrEmpty(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return "";
  }
}

function pidsByCommandLine(dataDir: string, matches: (argv: string[]) => boolean): number[] {
  const wanted = resolve(dataDir);
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // exited meanwhile
    }
    const data = argv.indexOf("--data");
    const dir = data < 0 ? undefined : argv[data + 1];
    if (dir !== undefined && resolve(dir) === wanted && matches(argv)) pids.push(Number(name));
  }
  return pids;
}

function killGroup(leader: number): void {
  try {
    if (readProcessGroup(leader) === leader) process.kill(-leader, "SIGKILL");
  } catch {
    // Gone already.
  }
}

function recordedPids(dataDir: string): { pid: number; start: string }[] {
  const db = join(dataDir, "rampart.db");
  if (!existsSync(db)) return [];
  const script = `
    const { DatabaseSync } = require("node:sqlite");
    const db = new DatabaseSync(${JSON.stringify(db)}, { readOnly: true });
    const rows = db.prepare("select pid, pid_start as start from instances where pid is not null union all select runner_pid, runner_start from instances where runner_pid is not null").all();
    const edge = db.prepare("select value from kv where key = 'edge'").get();
    if (edge) { const e = JSON.parse(edge.value); rows.push({ pid: e.pid, start: e.pidStart }); }
    console.log(JSON.stringify(rows));`;
  const result = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  try {
    return JSON.parse(result.stdout) as { pid: number; start: string }[];
  } catch {
    return [];
  }
}

export function processStart(pid: number): string | null {
  return readProcessStartTime(pid);
}

/** Pids the store recorded (instances, their runners, the edge) whose processes are still alive. */
export function livePlatformPids(dataDir: string): number[] {
  return recordedPids(dataDir)
    .filter(({ pid, start }) => isSameProcess(pid, start))
    .map(({ pid }) => pid);
}
