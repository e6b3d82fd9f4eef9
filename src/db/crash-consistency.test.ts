import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { after, it } from "node:test";
import { waitFor } from "../shared/wait.ts";
import { verifyChain } from "../access/audit-chain.ts";
import { parseData } from "../events/event.store.ts";

const dir = mkdtempSync(join(tmpdir(), "rampart-crash-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const WRITER = `
  import { openDatabase } from ${JSON.stringify(fileURLToPath(new URL("./database.ts", import.meta.url)))};
  import { EventLog } from ${JSON.stringify(fileURLToPath(new URL("../events/event-log.ts", import.meta.url)))};
  import { platformMigrations } from ${JSON.stringify(fileURLToPath(new URL("../platform/migrations.ts", import.meta.url)))};
  const { db } = await openDatabase(process.argv[1], platformMigrations);
  const log = new EventLog(db, { now: () => Date.now() });
  for (let i = 1; ; i++) {
    await log.transact(async (trx, emit) => {
      await trx.insertInto("kv").values({ key: "n" + i, value: String(i) }).execute();
      await emit({ type: "release.created", message: "n" + i, data: { i } });
    });
    if (i === 50) console.log("writing");
  }
`;

it("kill -9 in the middle of writing leaves every state change with its event and an intact database", async () => {
  const child = spawn(process.execPath, ["--input-type=module", "-e", WRITER, dir], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  await waitFor(() => (output.includes("writing") ? true : undefined), { timeoutMs: 20_000 });
  child.kill("SIGKILL");
  await new Promise((resolve) => child.once("exit", resolve));

  const db = new DatabaseSync(join(dir, "rampart.db"));
  try {
    assert.deepEqual(
      db
        .prepare("PRAGMA integrity_check")
        .all()
        .map((row) => ({ ...row })),
      [{ integrity_check: "ok" }],
    );
    const states = db.prepare("select count(*) as n from kv").get() as { n: number };
    const events = db.prepare("select count(*) as n from events where type = 'release.created'").get() as { n: number };
    assert.ok(states.n >= 50);
    assert.equal(events.n, states.n, "each committed change has exactly its event");
    // The audit chain survives the kill too: every committed event carries its hash (written in its transaction).
    const chained = db
      .prepare("select * from events order by id")
      .all()
      .map((r) => ({
        id: Number(r.id),
        at: Number(r.at),
        type: String(r.type),
        env: null,
        app: null,
        release: null,
        instance: null,
        actor: String(r.actor),
        message: String(r.message),
        data: parseData(String(r.data)),
        hash: String(r.hash),
      }));
    const result = verifyChain(chained, [], generateKeyPairSync("ed25519").publicKey);
    assert.equal(result.ok, true, result.problem?.message);
  } finally {
    db.close();
  }
});
