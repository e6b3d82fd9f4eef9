import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { platformMigrations } from "./migrations.ts";

/**
 * Migrations released in a landed version of Rampart, in order. Kysely applies migrations in name order and refuses
 * a data dir whose applied migrations are not a prefix of the list, so a new migration must sort after every one
 * here (ADR 12 addendum). Add a name here when a version carrying it is released; never rename one.
 */
const released = ["0001_initial", "0002_flags", "0003_metrics", "0004_logs_traces", "0005_traffic"];

describe("migration order", () => {
  it("keeps the released migrations first and sorts every new one after them", () => {
    const names = Object.keys(platformMigrations).sort();
    assert.deepEqual(names.slice(0, released.length), released, "a released migration was renamed or removed");
    const last = released.at(-1) ?? "";
    for (const name of names.slice(released.length)) assert.ok(name > last, `${name} sorts before the released ${last}: rename it`);
    assert.equal(new Set(names.map((n) => n.slice(0, 4))).size, names.length, "two migrations share a number");
  });
});
