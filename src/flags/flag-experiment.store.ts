import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import { emptyTotals, type VariationTotals } from "../analysis/experiment-stats.ts";

/** The experiment tables (migration 0014_flag_experiments), typed for Kysely without touching the shared types. */
type ExperimentTables = {
  flag_exposures: { env: string; flag: string; user: string; variation: string; at: number; seen: number | null };
  flag_conversions: { env: string; flag: string; metric: string; user: string; variation: string; events: number; value: number };
  flag_exposure_days: { env: string; flag: string; variation: string; day: number; exposed: number };
  flag_metric_days: {
    env: string;
    flag: string;
    metric: string;
    variation: string;
    day: number;
    converted: number;
    events: number;
    events_sq: number;
    value_sum: number;
    value_sq: number;
  };
};

const DAY_MS = 86_400_000;
export const dayOf = (at: number): number => Math.floor(at / DAY_MS);

export interface Exposure {
  flag: string;
  variation: string;
  user: string;
  at: number;
}

export interface TrackedEvent {
  metric: string;
  user: string;
  at: number;
  value: number;
}

/** Users first exposed on one day to one variation, and how many of them came back at least N days later, per N. */
export interface CohortRow {
  variation: string;
  day: number;
  users: number;
  returned: number[];
}

/** Per variation, per day: that day's increments (exposed users are counted on their first exposure's day). */
export interface DayRow extends VariationTotals {
  variation: string;
  day: number;
}

export class FlagExperimentStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  #t(db: Db) {
    return db.withTables<ExperimentTables>();
  }

  async exposedUsers(env: string, flag: string, db: Db = this.#db): Promise<number> {
    const row = await this.#t(db)
      .selectFrom("flag_exposures")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("env", "=", env)
      .where("flag", "=", flag)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** First exposure wins (a user keeps the variation first served); returns whether it was new. */
  async addExposure(trx: Db, env: string, e: Exposure): Promise<boolean> {
    const result = await this.#t(trx)
      .insertInto("flag_exposures")
      .values({ env, flag: e.flag, user: e.user, variation: e.variation, at: e.at })
      .onConflict((o) => o.doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) {
      await this.markSeen(trx, env, e.flag, e.user, e.at);
      return false;
    }
    await this.#t(trx)
      .insertInto("flag_exposure_days")
      .values({ env, flag: e.flag, variation: e.variation, day: dayOf(e.at), exposed: 1 })
      .onConflict((o) =>
        o.columns(["env", "flag", "variation", "day"]).doUpdateSet((eb) => ({ exposed: eb("flag_exposure_days.exposed", "+", 1) })),
      )
      .execute();
    return true;
  }

  /** The user was seen at `at` (a later day's exposure, or an event): keeps the latest such time after the first exposure. */
  async markSeen(trx: Db, env: string, flag: string, user: string, at: number): Promise<void> {
    await this.#t(trx)
      .updateTable("flag_exposures")
      .set({ seen: at })
      .where("env", "=", env)
      .where("flag", "=", flag)
      .where("user", "=", user)
      .where("at", "<", at)
      .where((eb) => eb.or([eb("seen", "is", null), eb("seen", "<", at)]))
      .execute();
  }

  /**
   * Per variation and first-exposure day: users, and for each N in `afterDays` how many were seen again on a day at
   * least N days after the day they were first exposed. One grouped query; the per-user rows never leave the database.
   */
  async cohorts(env: string, flag: string, afterDays: readonly number[]): Promise<CohortRow[]> {
    const day = sql<number>`cast(at / ${sql.lit(DAY_MS)} as integer)`;
    const rows = new Map<string, CohortRow>();
    // One grouped query per N (two by default): each is typed as written, and the per-user rows stay in the database.
    for (const [i, n] of afterDays.entries()) {
      const returned = sql<number>`sum(case when seen is not null and cast(seen / ${sql.lit(DAY_MS)} as integer) - cast(at / ${sql.lit(DAY_MS)} as integer) >= ${sql.lit(Math.trunc(n))} then 1 else 0 end)`;
      const grouped = await this.#t(this.#db)
        .selectFrom("flag_exposures")
        .select((eb) => ["variation", day.as("day"), eb.fn.countAll<number>().as("users"), returned.as("returned")])
        .where("env", "=", env)
        .where("flag", "=", flag)
        .groupBy(["variation", day])
        .execute();
      for (const g of grouped) {
        const id = `${g.day}\u0000${g.variation}`;
        let row = rows.get(id);
        if (!row)
          rows.set(id, (row = { variation: g.variation, day: Number(g.day), users: Number(g.users), returned: afterDays.map(() => 0) }));
        row.returned[i] = Number(g.returned ?? 0);
      }
    }
    return [...rows.values()].sort((a, b) => a.day - b.day || a.variation.localeCompare(b.variation));
  }

  async exposuresOf(trx: Db, env: string, user: string): Promise<Array<{ flag: string; variation: string; at: number }>> {
    return this.#t(trx)
      .selectFrom("flag_exposures")
      .select(["flag", "variation", "at"])
      .where("env", "=", env)
      .where("user", "=", user)
      .execute();
  }

  /**
   * Adds one event to a user's totals for a flag and to that day's increments. Sums of squares are of per-user
   * totals, so they grow by (total + v)² − total², which keeps a per-user variance exact from day rows alone.
   */
  async addConversion(trx: Db, env: string, flag: string, variation: string, e: TrackedEvent): Promise<void> {
    const t = this.#t(trx);
    const before = await t
      .selectFrom("flag_conversions")
      .select(["events", "value"])
      .where("env", "=", env)
      .where("flag", "=", flag)
      .where("metric", "=", e.metric)
      .where("user", "=", e.user)
      .executeTakeFirst();
    const events = before?.events ?? 0;
    const value = before?.value ?? 0;
    await t
      .insertInto("flag_conversions")
      .values({ env, flag, metric: e.metric, user: e.user, variation, events: events + 1, value: value + e.value })
      .onConflict((o) => o.columns(["env", "flag", "metric", "user"]).doUpdateSet({ events: events + 1, value: value + e.value }))
      .execute();
    const delta = {
      converted: before ? 0 : 1,
      events: 1,
      events_sq: (events + 1) ** 2 - events ** 2,
      value_sum: e.value,
      value_sq: (value + e.value) ** 2 - value ** 2,
    };
    await t
      .insertInto("flag_metric_days")
      .values({ env, flag, metric: e.metric, variation, day: dayOf(e.at), ...delta })
      .onConflict((o) =>
        o.columns(["env", "flag", "metric", "variation", "day"]).doUpdateSet((eb) => ({
          converted: eb("flag_metric_days.converted", "+", delta.converted),
          events: eb("flag_metric_days.events", "+", delta.events),
          events_sq: eb("flag_metric_days.events_sq", "+", delta.events_sq),
          value_sum: eb("flag_metric_days.value_sum", "+", delta.value_sum),
          value_sq: eb("flag_metric_days.value_sq", "+", delta.value_sq),
        })),
      )
      .execute();
  }

  /** Day rows of a flag (and one metric), exposures and events merged, ordered by day. */
  async days(env: string, flag: string, metric: string | undefined): Promise<DayRow[]> {
    const t = this.#t(this.#db);
    const exposed = await t.selectFrom("flag_exposure_days").selectAll().where("env", "=", env).where("flag", "=", flag).execute();
    const rows = new Map<string, DayRow>();
    const row = (variation: string, day: number): DayRow => {
      const id = `${day}\u0000${variation}`;
      let r = rows.get(id);
      if (!r) {
        r = { variation, day, ...emptyTotals() };
        rows.set(id, r);
      }
      return r;
    };
    for (const e of exposed) row(e.variation, e.day).exposed += e.exposed;
    if (metric !== undefined) {
      const events = await t
        .selectFrom("flag_metric_days")
        .selectAll()
        .where("env", "=", env)
        .where("flag", "=", flag)
        .where("metric", "=", metric)
        .execute();
      for (const e of events) {
        const r = row(e.variation, e.day);
        r.converted += e.converted;
        r.events += e.events;
        r.eventsSq += e.events_sq;
        r.valueSum += e.value_sum;
        r.valueSq += e.value_sq;
      }
    }
    return [...rows.values()].sort((a, b) => a.day - b.day || a.variation.localeCompare(b.variation));
  }

  /** Users first exposed at or after `since`, per variation (the sample-ratio check since the split last changed). */
  async exposedSince(env: string, flag: string, since: number): Promise<Record<string, number>> {
    const rows = await this.#t(this.#db)
      .selectFrom("flag_exposures")
      .select(["variation"])
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("env", "=", env)
      .where("flag", "=", flag)
      .where("at", ">=", since)
      .groupBy("variation")
      .execute();
    return Object.fromEntries(rows.map((r) => [r.variation, Number(r.n)]));
  }

  /** Metrics with events for a flag, most events first (the default metric of `flags results`). */
  async metrics(env: string, flag: string): Promise<string[]> {
    const rows = await this.#t(this.#db)
      .selectFrom("flag_metric_days")
      .select(["metric"])
      .select((eb) => eb.fn.sum<number>("events").as("n"))
      .where("env", "=", env)
      .where("flag", "=", flag)
      .groupBy("metric")
      .orderBy("n", "desc")
      .execute();
    return rows.map((r) => r.metric);
  }
}
