import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

interface LegacyRow {
  env: string;
  app: string;
  id: string;
}

interface LegacyRollout {
  env: string;
  app: string;
  release: number;
  from_release: number | null;
  data: string;
}

/**
 * The one state of where traffic goes (src/traffic). Seeded from what an older data dir kept in two places, the
 * instances' `routable` flags and an active canary's `canaryPercent`, so a running edge keeps the same split
 * when a newer control plane adopts it. The `instances.routable` column stays (migrations never drop data) but
 * is no longer read.
 */
export const trafficMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("traffic")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("app", "text", (c) => c.notNull())
      .addColumn("routable", "text", (c) => c.notNull())
      .addColumn("weights", "text")
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("traffic_pk", ["env", "app"])
      .execute();
    // Kysely<unknown> knows no tables: the legacy reads go through a loosely typed handle.
    const legacy = db as unknown as Kysely<{
      instances: LegacyRow & { routable: number; status: string };
      rollouts: LegacyRollout & { state: string };
    }>;
    const routable = await legacy
      .selectFrom("instances")
      .select(["env", "app", "id"])
      .where("routable", "=", 1)
      .where("status", "!=", "stopped")
      .orderBy("id")
      .execute();
    const rollouts = await legacy
      .selectFrom("rollouts")
      .select(["env", "app", "release", "from_release", "data"])
      .where("state", "not in", ["completed", "failed"])
      .execute();
    const states = new Map<string, { env: string; app: string; routable: string[]; weights: Record<string, number> | null }>();
    const stateOf = (env: string, app: string) => {
      const key = `${env}\u0000${app}`;
      let state = states.get(key);
      if (!state) states.set(key, (state = { env, app, routable: [], weights: null }));
      return state;
    };
    for (const row of routable) stateOf(row.env, row.app).routable.push(row.id);
    for (const rollout of rollouts) {
      const percent = (JSON.parse(rollout.data) as { canaryPercent?: unknown }).canaryPercent;
      if (typeof percent !== "number" || rollout.from_release === null) continue;
      stateOf(rollout.env, rollout.app).weights = { [rollout.release]: percent, [rollout.from_release]: 100 - percent };
    }
    const now = Date.now();
    const target = db as unknown as Kysely<{
      traffic: { env: string; app: string; routable: string; weights: string | null; updated_at: number };
    }>;
    for (const state of states.values()) {
      await target
        .insertInto("traffic")
        .values({
          env: state.env,
          app: state.app,
          routable: JSON.stringify(state.routable),
          weights: state.weights && JSON.stringify(state.weights),
          updated_at: now,
        })
        .execute();
    }
  },
};
