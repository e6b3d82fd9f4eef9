import type { Db } from "../db/database.ts";

/** flag_experiment_reports (migration 0020_experiment_reports) and the running-experiment look-up, typed for Kysely. */
type ReportTables = {
  flag_experiment_reports: { env: string; flag: string; at: number; markdown: string };
  flag_exposure_days: { env: string; flag: string; variation: string; day: number; exposed: number };
};

export interface RunningExperiment {
  env: string;
  flag: string;
  /** Day number (UTC days since the epoch) of its first exposure. */
  firstDay: number;
}

export class FlagExperimentReportStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  #t(db: Db) {
    return db.withTables<ReportTables>();
  }

  /** Flags with a user first exposed on `sinceDay` or later, per environment: the experiments still enrolling. */
  async running(sinceDay: number): Promise<RunningExperiment[]> {
    const rows = await this.#t(this.#db)
      .selectFrom("flag_exposure_days")
      .select(["env", "flag"])
      .select((eb) => [eb.fn.min<number>("day").as("first"), eb.fn.max<number>("day").as("last")])
      .groupBy(["env", "flag"])
      .execute();
    return rows
      .filter((r) => Number(r.last) >= sinceDay)
      .map((r) => ({ env: r.env, flag: r.flag, firstDay: Number(r.first) }))
      .sort((a, b) => a.env.localeCompare(b.env) || a.flag.localeCompare(b.flag));
  }

  async lastAt(env: string, flag: string): Promise<number | undefined> {
    const row = await this.#t(this.#db)
      .selectFrom("flag_experiment_reports")
      .select((eb) => eb.fn.max<number>("at").as("at"))
      .where("env", "=", env)
      .where("flag", "=", flag)
      .executeTakeFirst();
    return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
  }

  async insert(trx: Db, r: { env: string; flag: string; at: number; markdown: string }): Promise<void> {
    await this.#t(trx).insertInto("flag_experiment_reports").values(r).execute();
  }
}
