import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ApiError } from "../client/api-client.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import type { TestProject } from "../testing/test-project.ts";
import { APP, DrillPlatform, drillRow, ENV, expectations } from "./drill-platform.ts";
import type { Drill, DrillOptions, DrillResult } from "./drill.types.ts";
import { canMountTmpfs, canRunAsNobody } from "./privileges.ts";

const TMPFS_SIZE = "48m";
const NOBODY = { uid: 65534, gid: 65534 };
const UNWRITABLE_S = 10;

/** Fills the file system under `dir` with one file, up to `limitBytes`; returns its path. */
function fill(dir: string, limitBytes: number): string {
  const path = join(dir, "drill-filler");
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(1024 * 1024, 1);
  let written = 0;
  try {
    // Big chunks, then page-sized ones for the last bytes; bounded by the file system's size.
    for (const size of [chunk.length, 4096]) {
      for (;;) {
        if (written >= limitBytes) break;
        try {
          written += writeSync(fd, chunk, 0, size);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

/**
 * What both data-dir drills do once the data dir cannot be written: a deploy must be refused with an error that
 * says why (not a 500 or a misleading one), traffic and the API's reads go on, a killed instance is looked after;
 * and once the data dir is writable again, a deploy goes through.
 */
async function whileUnwritable(
  platform: DrillPlatform,
  label: string,
  expectedCode: string,
  breakIt: () => void,
  repair: () => void,
  options: DrillOptions,
): Promise<DrillResult> {
  const checks = expectations();
  const { expect } = checks;
  const load = platform.load(60_000);
  await waitFor(() => (load.current().ok >= options.rate / 2 ? true : undefined), { timeoutMs: 10_000 });
  const acknowledged = platform.watcher.acknowledged();
  breakIt();
  platform.project.touchSource(`${label}-refused`);
  const refusal = await platform.up.client.deploy(ENV, APP).then(
    (release) => `deploy accepted (release ${release.number})`,
    (error: unknown) => (error instanceof ApiError ? `HTTP ${error.status} ${error.code}: ${error.message}` : String(error)),
  );
  expect(refusal.includes(expectedCode), `the deploy is refused with ${expectedCode} (got ${refusal})`);
  // An instance dies meanwhile: its restart needs the data dir (spec file, log, store).
  const [victim, ...others] = await platform.instances();
  process.kill(victim?.pid ?? 0, "SIGKILL");
  // Ten seconds of traffic while it stays unwritable (longer than five restart backoffs, which once made a crash
  // loop of it): stats, event and log writes fail underneath.
  const mark = load.current().sent;
  await waitFor(() => (load.current().sent >= mark + options.rate * UNWRITABLE_S ? true : undefined), {
    timeoutMs: UNWRITABLE_S * 1000 + 10_000,
  });
  const status = await platform.up.client.status().then(
    () => "answers",
    (error: unknown) => String(error),
  );
  expect(status === "answers", `the control plane still answers status (${status})`);
  const whileBroken = (await platform.instances().catch(() => [])).find((i) => i.id === victim?.id);
  repair();
  const repairedAt = Date.now();
  const back = await waitFor(
    async () => {
      const again = (await platform.instances()).find((i) => i.id === victim?.id);
      return again && again.pid !== victim?.pid && again.health === "healthy" ? Date.now() - repairedAt : undefined;
    },
    { timeoutMs: 30_000 },
  ).catch(() => null);
  expect(back !== null, "the instance killed meanwhile runs again (new pid, healthy) once the data dir is writable");
  await platform.waitHealthy(others.length + 1).catch(() => expect(false, "every instance healthy again"));
  platform.project.touchSource(`${label}-after`);
  const live = await waitForRelease(platform.up.client, await platform.up.client.deploy(ENV, APP), 60_000).then(
    (release) => release.status,
    (error: unknown) => String(error),
  );
  const recoveredMs = Date.now() - repairedAt;
  expect(live === "live", `a deploy goes through once it is writable again (${live})`);
  const result = await load.stop();
  expect(result.failed === 0, "0 failed requests");
  const state = await platform.check(acknowledged);
  return drillRow(label, result, recoveredMs, state, checks, [
    `refused: ${refusal.split("\n")[0]}`,
    `an instance killed meanwhile was ${whileBroken?.health ?? "?"} (${whileBroken?.lastExit ?? "no exit recorded"}) and ${back === null ? "never came back" : `healthy ${back} ms after repair`}`,
    `deployed ${recoveredMs} ms after the data dir was writable again`,
  ]);
}

/** The data dir on a small tmpfs, filled to the last byte while serving. */
async function full(options: DrillOptions): Promise<DrillResult[]> {
  if (!canMountTmpfs()) throw new Error("needs root allowed to mount a tmpfs");
  const mount = (project: TestProject) => {
    mkdirSync(project.dataDir, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${TMPFS_SIZE},mode=0700`, "tmpfs", project.dataDir]);
    return () => execFileSync("umount", ["-l", project.dataDir]);
  };
  const platform = await DrillPlatform.start({ ...options, prepare: mount });
  try {
    let filler = "";
    const row = await whileUnwritable(
      platform,
      "data dir full (tmpfs, 0 bytes free)",
      "data_dir_full",
      () => (filler = fill(platform.project.dataDir, 64 * 1024 * 1024)),
      () => unlinkSync(filler),
      options,
    );
    // Stopping must work with a full disk too: exit 0, nothing half-written.
    filler = fill(platform.project.dataDir, 64 * 1024 * 1024);
    const exit = await platform.killControlPlane("SIGTERM");
    unlinkSync(filler);
    row.notes.push(`SIGTERM with the disk full: exit ${String(exit)}`);
    if (exit !== 0) {
      row.passed = false;
      row.notes.push(`FAILED: SIGTERM with the disk full exits 0 (got ${String(exit)})`);
    }
    return [row];
  } finally {
    await platform.cleanup();
  }
}

/**
 * The data dir made read-only while serving. File permissions do not bind root, so the platform runs as `nobody`
 * here; a read-only remount is refused while files are open for writing, which is always the case.
 */
async function readOnly(options: DrillOptions): Promise<DrillResult[]> {
  if (!canRunAsNobody()) throw new Error("needs root, and a checkout user nobody can read");
  const chown = (project: TestProject) => {
    execFileSync("chown", ["-R", `${NOBODY.uid}:${NOBODY.gid}`, project.dir]);
    return () => execFileSync("chmod", ["-R", "u+w", project.dataDir]);
  };
  const platform = await DrillPlatform.start({ ...options, user: NOBODY, prepare: chown });
  try {
    const row = await whileUnwritable(
      platform,
      "data dir read-only (chmod -R a-w)",
      "data_dir_read_only",
      () => execFileSync("chmod", ["-R", "a-w", platform.project.dataDir]),
      () => execFileSync("chmod", ["-R", "u+w", platform.project.dataDir]),
      options,
    );
    return [row];
  } finally {
    await platform.cleanup();
  }
}

export const dataDirDrills: Drill[] = [
  { name: "data-dir-full", run: full },
  { name: "data-dir-read-only", run: readOnly },
];
