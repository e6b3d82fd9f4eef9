import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * The baseline schema (the tables that predate per-capability migrations). Every later migration is registered
 * by the capability that owns it (src/platform/migrations.ts lists them); all are applied in name order at
 * start-up. Never edit a released migration: add a new one. They take `Kysely<unknown>` because a migration
 * must not depend on today's table types.
 */
export const baselineMigrations: Record<string, Migration> = {
  "0001_initial": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("events")
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("at", "integer", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("env", "text")
        .addColumn("app", "text")
        .addColumn("release", "integer")
        .addColumn("instance", "text")
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("events_at").on("events").column("at").execute();
      await db.schema.createIndex("events_app").on("events").columns(["env", "app", "id"]).execute();

      await db.schema
        .createTable("artifacts")
        .addColumn("digest", "text", (c) => c.primaryKey())
        .addColumn("dir", "text", (c) => c.notNull())
        .addColumn("files", "integer", (c) => c.notNull())
        .addColumn("bytes", "integer", (c) => c.notNull())
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("last_used_at", "integer", (c) => c.notNull())
        .addColumn("build_status", "text", (c) => c.notNull())
        .addColumn("build_command", "text")
        .addColumn("build_ms", "integer")
        .execute();

      await db.schema
        .createTable("releases")
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("env", "text", (c) => c.notNull())
        .addColumn("app", "text", (c) => c.notNull())
        .addColumn("number", "integer", (c) => c.notNull())
        .addColumn("artifact_digest", "text", (c) => c.notNull())
        .addColumn("config", "text", (c) => c.notNull())
        .addColumn("strategy", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("reason", "text")
        .addColumn("source_dir", "text", (c) => c.notNull())
        .addColumn("git_commit", "text")
        .addColumn("git_commit_time", "text")
        .addColumn("git_dirty", "integer")
        .addColumn("rollback_of", "integer")
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("live_at", "integer")
        .addColumn("finished_at", "integer")
        .addUniqueConstraint("releases_env_app_number", ["env", "app", "number"])
        .execute();

      await db.schema
        .createTable("instances")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("env", "text", (c) => c.notNull())
        .addColumn("app", "text", (c) => c.notNull())
        .addColumn("release", "integer", (c) => c.notNull())
        .addColumn("slot", "integer", (c) => c.notNull())
        .addColumn("port", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("routable", "integer", (c) => c.notNull())
        .addColumn("pid", "integer")
        .addColumn("pid_start", "text")
        .addColumn("runner_pid", "integer")
        .addColumn("runner_start", "text")
        .addColumn("restarts", "integer", (c) => c.notNull())
        .addColumn("started_at", "integer", (c) => c.notNull())
        .addColumn("updated_at", "integer", (c) => c.notNull())
        .addColumn("log_path", "text", (c) => c.notNull())
        .addColumn("state_dir", "text", (c) => c.notNull())
        .addColumn("last_exit", "text")
        .execute();
      await db.schema.createIndex("instances_app").on("instances").columns(["env", "app", "release"]).execute();

      await db.schema
        .createTable("rollouts")
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("env", "text", (c) => c.notNull())
        .addColumn("app", "text", (c) => c.notNull())
        .addColumn("release", "integer", (c) => c.notNull())
        .addColumn("from_release", "integer")
        .addColumn("strategy", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("step", "integer", (c) => c.notNull())
        .addColumn("started_at", "integer", (c) => c.notNull())
        .addColumn("updated_at", "integer", (c) => c.notNull())
        .addColumn("finished_at", "integer")
        .addColumn("data", "text", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("request_stats")
        .addColumn("at", "integer", (c) => c.notNull())
        .addColumn("env", "text", (c) => c.notNull())
        .addColumn("app", "text", (c) => c.notNull())
        .addColumn("release", "integer", (c) => c.notNull())
        .addColumn("instance", "text", (c) => c.notNull())
        .addColumn("status", "integer", (c) => c.notNull())
        .addColumn("count", "integer", (c) => c.notNull())
        .addColumn("sum_ms", "real", (c) => c.notNull())
        .addColumn("buckets", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("request_stats_app").on("request_stats").columns(["env", "app", "at"]).execute();

      await db.schema
        .createTable("kv")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .execute();
    },
  },
};
