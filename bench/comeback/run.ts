/**
 * How long until every environment serves its live release again, after a simulated reboot (kill -9 of every
 * Rampart process and instance, the data dir intact) and after `rampart down --yes`, each followed by a new
 * `rampart up`. Runs a copy of a project (default: the demo, examples/shop) on free ports in a temp dir.
 *
 *   npm run bench:comeback [-- --project DIR] [-- --rounds N]
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { waitForRelease } from "../../src/releases/release-wait.ts";
import { waitFor } from "../../src/shared/wait.ts";
import { freePort } from "../../src/testing/free-port.ts";
import { killPlatform, livePlatformPids, runCli, startRampartUp, type RampartUp } from "../../src/testing/rampart-process.ts";

const { values } = parseArgs({
  options: { project: { type: "string", default: "examples/shop" }, rounds: { type: "string", default: "3" } },
});
const rounds = Number(values.rounds);
const dir = mkdtempSync(join(tmpdir(), "rampart-comeback-"));
cpSync(resolve(values.project), dir, { recursive: true, filter: (path) => !/\/(node_modules|\.git|\.rampart)(\/|$)/.test(path) });
const manifestPath = join(dir, "rampart.yaml");
// Each environment on a free port, so the copy never collides with a running demo.
let manifest = readFileSync(manifestPath, "utf8");
for (const match of [...manifest.matchAll(/port: (\d+)/g)]) manifest = manifest.replace(match[0], `port: ${await freePort()}`);
writeFileSync(manifestPath, manifest);
const project = { manifestPath, dataDir: join(dir, ".rampart") };

let up: RampartUp = await startRampartUp(project);
try {
  const expected: { env: string; port: number; app: string; live: number; instances: number }[] = [];
  for (const env of (await up.client.status()).environments)
    for (const app of env.apps) {
      const live = await waitForRelease(up.client, await up.client.deploy(env.name, app.name), 10 * 60_000);
      expected.push({ env: env.name, port: env.port, app: app.name, live: live.number, instances: live.instances.length });
    }
  process.stdout.write(`${values.project}: ${expected.map((e) => `${e.app}@${e.env} r${e.live}×${e.instances}`).join(", ")}\n`);

  /** From starting `rampart up` until every live release has all its instances healthy and in rotation, and every environment answers. */
  const upUntilServing = async (): Promise<{ api: number; serving: number; complete: number }> => {
    const startedAt = Date.now();
    up = await startRampartUp(project);
    const api = Date.now() - startedAt;
    const serving = await waitFor(
      async () => {
        for (const port of new Set(expected.map((e) => e.port))) {
          const response = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
          if (response === undefined || response.status >= 500) return undefined;
          await response.body?.cancel();
        }
        return Date.now() - startedAt;
      },
      { timeoutMs: 60_000, intervalMs: 25 },
    );
    const complete = await waitFor(
      async () => {
        const status = await up.client.status();
        const done = expected.every((e) => {
          const app = status.environments.find((s) => s.name === e.env)?.apps.find((a) => a.name === e.app);
          const ready = app?.instances.filter((i) => i.release === e.live && i.health === "healthy" && i.routable) ?? [];
          return app?.live === e.live && ready.length === e.instances;
        });
        return done ? Date.now() - startedAt : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 25 },
    );
    return { api, serving, complete };
  };

  for (let round = 1; round <= rounds; round++) {
    await killPlatform(project.dataDir, up);
    const reboot = await upUntilServing();
    process.stdout.write(
      `round ${round} reboot (kill -9 all) → up: API in ${reboot.api} ms, every environment answers in ${reboot.serving} ms, every instance healthy and routed in ${reboot.complete} ms\n`,
    );
    const down = runCli(["--data", project.dataDir, "down", "--yes"]);
    if (down.code !== 0) throw new Error(`rampart down failed: ${down.stderr}`);
    await up.exited;
    await waitFor(() => (livePlatformPids(project.dataDir).length === 0 ? true : undefined), { timeoutMs: 30_000 });
    const downUp = await upUntilServing();
    process.stdout.write(
      `round ${round} down --yes → up: API in ${downUp.api} ms, every environment answers in ${downUp.serving} ms, every instance healthy and routed in ${downUp.complete} ms\n`,
    );
  }
} finally {
  await killPlatform(project.dataDir, up);
  rmSync(dir, { recursive: true, force: true });
}
