import type { Generated } from "kysely";
import type { Db } from "../db/database.ts";

/** The identity tables (migration 0007_identities), known to Kysely through `withTables`. */
// A type alias, not an interface: withTables needs the index signature an alias implies.
export type IdentityTables = {
  users: { name: string; email: string | null; password_hash: string | null; source: string; created_at: number; created_by: string };
  role_grants: { subject_kind: string; subject: string; role: string; env: string; created_at: number; created_by: string };
  tokens: {
    id: Generated<number>;
    name: string;
    kind: string;
    owner: string | null;
    sha256: string;
    hint: string;
    apps: string | null;
    created_at: number;
    created_by: string;
    expires_at: number | null;
    revoked_at: number | null;
    revoked_by: string | null;
  };
  token_last_use: { token_id: number; at: number; address: string };
  sessions: { sha256: string; user: string; how: string; created_at: number };
  session_last_seen: { sha256: string; at: number };
  /** Migration 0024_session_endings: why a session was ended on purpose, kept a week. */
  session_endings: { sha256: string; user: string; reason: string; at: number };
};

export function identityDb(db: Db) {
  return db.withTables<IdentityTables>();
}
