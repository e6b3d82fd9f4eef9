import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, describe, it } from "node:test";
import { isSameProcess } from "../runtime/process-info.ts";
import {
  controlPlanePidsByCommandLine,
  edgePidsByCommandLine,
  killPlatform,
  processStart,
  type RampartUp,
  startRampartUp,
} from "./rampart-process.ts";
import { createTestProject, type TestProject } from "./test-project.ts";

/**
 * The leak the tests had: `rampart up` killed -9, its temp project removed, and its edge (detached on purpose, so
 * it serves through a control-plane restart) left running with nothing recording it. killPlatform finds it anyway.
 */
describe("killPlatform", () => {
  let project: TestProject | undefined;
  let up: RampartUp | undefined;
  after(async () => {
    if (project) await killPlatform(project.dataDir, up);
  });

  it("kills the edge of a platform whose control plane was killed -9 and whose project dir is gone", async () => {
    project = await createTestProject({ instances: 1 });
    up = await startRampartUp(project);
    const [edge] = edgePidsByCommandLine(project.dataDir);
    assert.ok(edge !== undefined, "the edge runs with --data DIR on its command line");
    const start = processStart(edge);
    assert.ok(start);
    up.process.kill("SIGKILL");
    await up.exited;
    rmSync(project.dir, { recursive: true, force: true });
    assert.ok(isSameProcess(edge, start), "the edge outlives its control plane (by design)");
    await killPlatform(project.dataDir);
    assert.equal(isSameProcess(edge, start), false, "the edge is gone");
    assert.deepEqual(edgePidsByCommandLine(project.dataDir), []);
  });

  it("kills a control plane the test lost hold of (a failed restart) and its edge, also when the project dir is gone", async () => {
    project = await createTestProject({ instances: 1 });
    const lost = await startRampartUp(project);
    up = undefined;
    const [edge] = edgePidsByCommandLine(project.dataDir);
    assert.ok(edge !== undefined);
    assert.deepEqual(controlPlanePidsByCommandLine(project.dataDir), [lost.pid]);
    const starts = [edge, lost.pid].map((pid) => ({ pid, start: processStart(pid) ?? "" }));
    rmSync(project.dir, { recursive: true, force: true });
    await killPlatform(project.dataDir);
    for (const { pid, start } of starts) assert.equal(isSameProcess(pid, start), false, `process ${pid} is gone`);
  });
});
