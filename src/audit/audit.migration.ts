import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import { type ChainedContent, chainHash, GENESIS_HASH } from "../access/audit-chain.ts";
import { parseData } from "../events/event.store.ts";

const PAGE = 1000;

/** A row as stored: the chained content with `data` still JSON text. */
type EventRow = Omit<ChainedContent, "data"> & { data: string };

/**
 * The audit chain's column on events. Events already in an older data dir are hashed here in id order (page by
 * page, so a large log does not have to fit in memory), and new events continue the chain (src/events/event.store.ts).
 * Never edit once released: add a new migration.
 */
export const auditChainMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("events").addColumn("hash", "text").execute();
    // `rampart audit --actor A`: what one person or token did, newest first, without a scan of the whole log.
    await db.schema.createIndex("events_actor").on("events").columns(["actor", "id"]).execute();
    let previous = GENESIS_HASH;
    let after = 0;
    for (;;) {
      const { rows } = await sql<EventRow>`
        SELECT id, at, type, env, app, release, instance, actor, message, data FROM events WHERE id > ${after} ORDER BY id LIMIT ${PAGE}
      `.execute(db);
      for (const row of rows) {
        previous = chainHash(previous, { ...row, data: parseData(row.data) });
        await sql`UPDATE events SET hash = ${previous} WHERE id = ${row.id}`.execute(db);
        after = row.id;
      }
      if (rows.length < PAGE) break;
    }
  },
};
