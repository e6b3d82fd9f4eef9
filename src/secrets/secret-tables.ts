import type { Db } from "../db/database.ts";

/** The secret tables (migration 0009_secrets), known to Kysely through `withTables` so the shared Database type stays untouched. */
// A type alias, not an interface: withTables needs the index signature an alias implies.
export type SecretTables = {
  /** One data key per environment, wrapped (AES-256-GCM) by the key-encryption key named by kek_id. */
  secret_data_keys: {
    env: string;
    wrapped: string;
    kek_id: string;
    created_at: number;
    rotated_at: number | null;
  };
  /** Every version of every secret; `sealed` null is an unset (a tombstone version). */
  secret_versions: {
    env: string;
    app: string;
    name: string;
    version: number;
    sealed: string | null;
    created_by: string;
    created_at: number;
  };
};

export type SecretDb = ReturnType<typeof secretDb>;

export function secretDb(db: Db) {
  return db.withTables<SecretTables>();
}
