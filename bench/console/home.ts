/**
 * `npm run bench:console`: how long the console's home view takes to be usable in Chromium on a project of 20 apps ×
 * 3 environments with 10,000 events (goal: within 1 s), and the size of the JavaScript it ships (goal: < 200 KB
 * gzipped). Prints a table for docs/benchmarks.md.
 *
 * A real `rampart up` on an ephemeral port; the events are real API changes (flag changes, each with its audit
 * record). "Usable" is the moment the table shows all 60 rows, measured in the page from the navigation's start
 * (performance.now()), with a fresh browser context (no cache) each time, logged in through the form first.
 * `--deploy` also deploys every app (one instance each: python3's http.server, small) so every row has instances.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { waitForRelease } from "../../src/releases/release-wait.ts";
import { addUser, launchChromium, logIn } from "../../src/testing/console-browser.ts";
import { freePort } from "../../src/testing/free-port.ts";
import { killPlatform, startRampartUp } from "../../src/testing/rampart-process.ts";

/** `--apps N` shrinks the project for a quick check of the bench itself; the figures are for 20. */
const appsArg = process.argv.indexOf("--apps");
const APPS = appsArg === -1 ? 20 : Number(process.argv[appsArg + 1]);
const ENVS = ["dev", "staging", "production"];
const EVENTS = 10_000;
const RUNS = 7;
const deploy = process.argv.includes("--deploy");
const DIST = fileURLToPath(new URL("../../console/dist/assets/", import.meta.url));

const dir = mkdtempSync(join(tmpdir(), "rampart-console-bench-"));
const dataDir = join(dir, ".rampart");
const apps = Array.from({ length: APPS }, (_, i) => `app${String(i + 1).padStart(2, "0")}`);
mkdirSync(join(dir, "site"));
writeFileSync(join(dir, "site", "index.html"), "ok\n");
const lines = ["name: bench-console", "environments:"];
for (const env of ENVS)
  lines.push(`  ${env}: { port: ${await freePort()}, bind: 127.0.0.1${env === "production" ? ", protected: true" : ""} }`);
lines.push("apps:");
for (const app of apps)
  lines.push(
    `  ${app}:`,
    "    source: ./site",
    `    routes: ["/${app}"]`,
    '    run: "python3 -m http.server $PORT --bind 127.0.0.1"',
    "    instances: 1",
    "    health: { path: /, interval: 1s, timeout: 1s, start_timeout: 30s }",
  );
writeFileSync(join(dir, "rampart.yaml"), `${lines.join("\n")}\n`);

let up: Awaited<ReturnType<typeof startRampartUp>> | undefined;
try {
  up = await startRampartUp({ manifestPath: join(dir, "rampart.yaml"), dataDir, timeoutMs: 180_000 });
  const client = up.client;
  if (deploy) {
    for (const env of ENVS) {
      // A few at a time: each deploy snapshots the source and starts a process.
      for (let i = 0; i < apps.length; i += 5) {
        const batch = await Promise.all(apps.slice(i, i + 5).map((app) => client.deploy(env, app)));
        await Promise.all(batch.map((release) => waitForRelease(client, release, 120_000)));
      }
    }
  }
  const flags = Array.from({ length: 50 }, (_, i) => `flag-${i}`);
  for (const key of flags) await client.createFlag({ key });
  let count = (await client.events({ limit: 10_000 })).length;
  const started = Date.now();
  let n = 0;
  while (count < EVENTS) {
    // Each change is two events: flag.changed and its audit.request.
    const batch = Array.from({ length: Math.min(16, Math.ceil((EVENTS - count) / 2)) }, () => n++);
    await Promise.all(
      batch.map((i) => client.setFlag(flags[i % flags.length] ?? "flag-0", "dev", { enabled: i % 2 === 0, reason: `bench ${i}` })),
    );
    count += batch.length * 2;
  }
  const events = (await client.events({ limit: 10_000 })).length;
  process.stderr.write(`project ready: ${APPS * ENVS.length} apps, ${events}+ events (${Date.now() - started} ms to write them)\n`);

  // The aggregate route alone, as the page asks it (server time + transfer, from this process).
  const api: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await client.overview();
    api.push(performance.now() - t0);
  }

  addUser(dataDir, "bench", "bench password 1", [["viewer", "*"]]);
  const browser = await launchChromium();
  const usable: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
      const page = await context.newPage();
      await logIn(page, client.baseUrl, "bench", "bench password 1");
      await page.goto("about:blank");
      await page.goto(client.baseUrl);
      // (A locator, not waitForFunction: the console's CSP forbids the eval a string predicate needs.)
      await page
        .locator("table.grid tbody tr")
        .nth(APPS * ENVS.length - 1)
        .waitFor();
      usable.push(await page.evaluate(() => performance.now()));
      await context.close();
    }
  } finally {
    await browser.close();
  }

  const js = readdirSync(DIST).filter((f) => f.endsWith(".js"));
  const gz = js.reduce((sum, f) => sum + gzipSync(readFileSync(join(DIST, f)), { level: 9 }).length, 0);
  const raw = js.reduce((sum, f) => sum + readFileSync(join(DIST, f)).length, 0);
  const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `median ${s[Math.floor(s.length / 2)]?.toFixed(0)} ms, max ${s.at(-1)?.toFixed(0)} ms`;
  };
  const rows = [
    `| machine | ${cpus().length} cores (${cpus()[0]?.model.trim()}), load ${loadavg()[0]?.toFixed(1)} |`,
    `| project | ${APPS} apps × ${ENVS.length} environments${deploy ? ", each deployed (1 instance)" : ", not deployed"}; ${events} events |`,
    `| GET /api/v1/overview (${RUNS} runs) | ${stats(api)} |`,
    `| home usable in Chromium: all ${APPS * ENVS.length} rows shown, from navigation start (${RUNS} runs, fresh context each) | ${stats(usable)} |`,
    `| JavaScript shipped | ${(raw / 1024).toFixed(0)} KB, ${(gz / 1024).toFixed(1)} KB gzipped |`,
  ];
  process.stdout.write(`| what | measured |\n| --- | --- |\n${rows.join("\n")}\n`);
} finally {
  await killPlatform(dataDir, up);
  rmSync(dir, { recursive: true, force: true });
}
