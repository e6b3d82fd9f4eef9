import type { Generated } from "kysely";
import type { Db } from "../db/database.ts";

/** The flag tables (migration 0002_flags), known to Kysely through `withTables` so the shared Database type stays untouched. */
// A type alias, not an interface: withTables needs the index signature an alias implies.
export type FlagTables = {
  flags: {
    key: string;
    type: string;
    kind: string;
    description: string;
    variations: string;
    off_variation: string;
    salt: string;
    created_at: number;
    created_by: string;
  };
  flag_env_states: { flag: string; env: string; state: string; updated_at: number; updated_by: string; uniform_since: number | null };
  flag_segments: { env: string; key: string; state: string; updated_at: number };
  flag_versions: { env: string; version: number };
  flag_sdk_tokens: { sha256: string; env: string; created_at: number; created_by: string };
  flag_change_requests: {
    id: Generated<number>;
    env: string;
    target: string;
    change: string;
    status: string;
    requested_by: string;
    requested_at: number;
    reason: string | null;
    decided_by: string | null;
    decided_at: number | null;
  };
  flag_usage: { flag: string; env: string; variation: string; count: number; last_at: number };
  flag_rollouts: {
    id: Generated<number>;
    flag: string;
    env: string;
    state: string;
    plan: string;
    step: number;
    step_started_at: number;
    created_by: string;
    created_at: number;
    updated_at: number;
    data: string;
  };
};

export type FlagDb = ReturnType<typeof flagDb>;

export function flagDb(db: Db) {
  return db.withTables<FlagTables>();
}
