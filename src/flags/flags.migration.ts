import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Tables of flags (flags, per-environment state, segments, tokens, approvals, rollout plans). Never edit once released: add a new migration. */
export const flagsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("flags")
      .addColumn("key", "text", (c) => c.primaryKey())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("description", "text", (c) => c.notNull())
      .addColumn("variations", "text", (c) => c.notNull())
      .addColumn("off_variation", "text", (c) => c.notNull())
      .addColumn("salt", "text", (c) => c.notNull())
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("flag_env_states")
      .addColumn("flag", "text", (c) => c.notNull())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .addColumn("updated_by", "text", (c) => c.notNull())
      .addColumn("uniform_since", "integer")
      .addPrimaryKeyConstraint("flag_env_states_pk", ["flag", "env"])
      .execute();
    await db.schema
      .createTable("flag_segments")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("flag_segments_pk", ["env", "key"])
      .execute();
    // One row per environment: the snapshot version, bumped in the transaction of every change.
    await db.schema
      .createTable("flag_versions")
      .addColumn("env", "text", (c) => c.primaryKey())
      .addColumn("version", "integer", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("flag_sdk_tokens")
      .addColumn("sha256", "text", (c) => c.primaryKey())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("flag_change_requests")
      .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("target", "text", (c) => c.notNull())
      .addColumn("change", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("requested_by", "text", (c) => c.notNull())
      .addColumn("requested_at", "integer", (c) => c.notNull())
      .addColumn("reason", "text")
      .addColumn("decided_by", "text")
      .addColumn("decided_at", "integer")
      .execute();
    await db.schema
      .createTable("flag_usage")
      .addColumn("flag", "text", (c) => c.notNull())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("variation", "text", (c) => c.notNull())
      .addColumn("count", "integer", (c) => c.notNull())
      .addColumn("last_at", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("flag_usage_pk", ["flag", "env", "variation"])
      .execute();
    await db.schema
      .createTable("flag_rollouts")
      .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
      .addColumn("flag", "text", (c) => c.notNull())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("plan", "text", (c) => c.notNull())
      .addColumn("step", "integer", (c) => c.notNull())
      .addColumn("step_started_at", "integer", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .addColumn("data", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("flag_rollouts_flag").on("flag_rollouts").columns(["flag", "env", "id"]).execute();
  },
};
