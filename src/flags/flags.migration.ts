import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Tables of flags (flags, per-environment state, segments, tokens, approvals, rollout plans). Never edit once released: add a new migration. */
export const flagsMigration: Migration = {
  async up(_db: Kysely<unknown>) {},
};
