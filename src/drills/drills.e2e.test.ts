import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dataDirDrills } from "./data-dir.drills.ts";
import type { Drill, DrillOptions } from "./drill.types.ts";
import { edgeSlowRestartDrill } from "./edge.drill.ts";
import { edgeCorpusDrill } from "./edge-corpus.drill.ts";
import { hungInstanceDrill } from "./hung-instance.drill.ts";
import { instanceDrills } from "./instance.drills.ts";
import { canMountTmpfs, canRunAsNobody } from "./privileges.ts";

/**
 * The quick drills, in CI: those whose faults no other end-to-end test covers (the edge killed while its
 * replacement is slow, a crash loop under traffic, a data dir full or read-only, a hung instance). The control-plane
 * kills, instance kills and SIGTERM have their own e2e tests; `npm run drills` runs everything with the table.
 * Time targets (e.g. a new edge within 1 s) are measured there, never asserted here.
 */
const OPTIONS: DrillOptions = { rate: 100 };
const MOUNT = canMountTmpfs();
const AS_NOBODY = canRunAsNobody();

const crashLoop = instanceDrills.find((d) => d.name === "crash-loop");
const runnerKill = instanceDrills.find((d) => d.name === "runner-kill");
const drills: { drill: Drill; skip?: string }[] = [
  // Guards the edge controller: one replacement edge at a time, recording the process that answers.
  { drill: edgeSlowRestartDrill },
  // Every instance of the new release dies at once: the edge's retry must go to the other release (0 failed).
  { drill: crashLoop ?? assert.fail("no crash-loop drill") },
  // A killed runner: noticed, the app drained, stopped and restarted under a new runner (0 failed).
  { drill: runnerKill ?? assert.fail("no runner-kill drill") },
  { drill: hungInstanceDrill },
  // The edge's malformed-request corpus against a real platform, under traffic.
  { drill: edgeCorpusDrill },
  ...dataDirDrills.map((drill) => ({
    drill,
    skip:
      drill.name === "data-dir-full"
        ? MOUNT
          ? undefined
          : "needs root allowed to mount a tmpfs"
        : AS_NOBODY
          ? undefined
          : "needs root, and a checkout user nobody can read (the platform runs as nobody)",
  })),
];

describe("reliability drills (the quick ones)", () => {
  for (const { drill, skip } of drills) {
    it(drill.name, { skip }, async (t) => {
      for (const row of await drill.run(OPTIONS)) {
        t.diagnostic(`${row.drill}: sent ${row.sent}, failed ${row.failed}, recovered in ${row.recoveredMs} ms; ${row.notes.join("; ")}`);
        assert.ok(row.consistent, `state: ${row.notes.filter((n) => n.startsWith("state:")).join("; ")}`);
        assert.ok(row.passed, row.notes.filter((n) => n.startsWith("FAILED")).join("; "));
      }
    });
  }
});
