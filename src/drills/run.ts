/**
 * `npm run drills [-- --only a,b] [--rate N] [--app DIR --run CMD --health PATH] [--no-write]`
 *
 * Breaks a real platform on purpose under steady load, one drill after another, prints the table and writes it to
 * docs/reliability.md. Exits 1 when a drill's expectations or time targets were not met, or its state check failed.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { errorMessage } from "../shared/errors.ts";
import { allDrills } from "./drills.ts";
import type { DrillOptions, DrillResult } from "./drill.types.ts";
import { formatNotes, formatRun, formatTable, writeRun } from "./report.ts";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    rate: { type: "string", default: "200" },
    app: { type: "string" },
    run: { type: "string" },
    health: { type: "string" },
    "no-write": { type: "boolean", default: false },
  },
});

const options: DrillOptions = {
  rate: Number(values.rate),
  source: values.app === undefined ? undefined : resolve(values.app),
  run: values.run,
  healthPath: values.health,
};
if (!Number.isFinite(options.rate) || options.rate <= 0 || options.rate > 5_000) throw new Error("--rate: 1 to 5000 requests per second");
if (options.source !== undefined && options.run === undefined) throw new Error("--app needs --run (the command that starts it)");

const only = values.only?.split(",").map((s) => s.trim());
const drills = allDrills.filter((d) => only === undefined || only.includes(d.name));
if (drills.length === 0) throw new Error(`no drill named ${values.only}; drills: ${allDrills.map((d) => d.name).join(", ")}`);

const started = Date.now();
const results: DrillResult[] = [];
for (const drill of drills) {
  const drillStarted = Date.now();
  process.stderr.write(`drill ${drill.name}…\n`);
  try {
    results.push(...(await drill.run(options)));
  } catch (error) {
    results.push({
      drill: drill.name,
      sent: 0,
      failed: 0,
      recoveredMs: null,
      consistent: false,
      passed: false,
      slow: [],
      notes: [`the drill itself failed: ${errorMessage(error)}`],
    });
  }
  process.stderr.write(`drill ${drill.name}: ${Math.round((Date.now() - drillStarted) / 1000)} s\n`);
}

process.stdout.write(`\n${formatTable(results)}\n\n${formatNotes(results)}\n`);
if (!values["no-write"] && only === undefined) {
  const command = `npm run drills${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  writeRun(
    fileURLToPath(new URL("../../docs/reliability.md", import.meta.url)),
    formatRun(results, options, command, Date.now() - started),
  );
}
process.exitCode = results.every((r) => r.passed && r.slow.length === 0) ? 0 : 1;
