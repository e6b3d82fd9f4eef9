import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { FakeInstanceDriver } from "./instance-driver.fake.ts";
import { LocalDriver } from "./local-driver.ts";
import { isSameProcess } from "./process-info.ts";
import type { InstanceDriver, InstanceProcess, InstanceSpec } from "./runtime.types.ts";
import { waitFor } from "./runtime.fixture.ts";

/** What the supervisor relies on from any InstanceDriver, run against the local driver and the fake alike. */
const drivers: [string, () => InstanceDriver][] = [
  ["LocalDriver", () => new LocalDriver()],
  ["FakeInstanceDriver", () => new FakeInstanceDriver()],
];

for (const [name, make] of drivers) {
  describe(`InstanceDriver contract: ${name}`, () => {
    const driver = make();
    const dir = mkdtempSync(join(tmpdir(), "rampart-contract-"));
    const started: InstanceProcess[] = [];
    let n = 0;
    const spec = (command: string): InstanceSpec => {
      n += 1;
      return { id: `t.web.r1.${n}`, cwd: dir, command, env: {}, logPath: join(dir, `${n}.log`), stateDir: join(dir, `state-${n}`) };
    };
    after(() => {
      for (const p of started) if (name === "LocalDriver" && isSameProcess(p.pid, p.pidStart)) process.kill(p.pid, "SIGKILL");
    });

    it("a started instance runs, has no exit status, and stop ends it with one", async () => {
      const s = spec("sleep 30");
      const p = await driver.start(s);
      started.push(p);
      assert.ok(p.pid > 0 && p.runnerPid > 0 && p.pidStart !== "" && p.runnerStart !== "");
      assert.equal(driver.isRunning(p), true);
      assert.equal(driver.exitStatus(s), null);
      const exit = await driver.stop(p, { graceMs: 2_000 });
      assert.equal(driver.isRunning(p), false);
      assert.ok(exit === null || exit.signal === "SIGTERM" || exit.code !== null, JSON.stringify(exit));
    });

    it("an app that exits by itself leaves its exit status for the supervisor", async (t) => {
      const s = spec('sh -c "exit 3"');
      const p = await driver.start(s);
      started.push(p);
      if (driver instanceof FakeInstanceDriver) driver.crash(p, { code: 3 });
      const status = await waitFor("the exit status", () => driver.exitStatus(s), 10_000);
      assert.equal(status.code, 3);
      assert.equal(driver.isRunning(p), false);
      t.diagnostic(`exit recorded at ${status.at}`);
    });
  });
}
