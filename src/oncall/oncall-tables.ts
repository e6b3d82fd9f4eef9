import type { Db } from "../db/database.ts";

/** The on-call tables (migration 0015_oncall), known to Kysely through `withTables`. */
export type OncallTables = {
  oncall_overrides: {
    id: string;
    schedule: string;
    user: string;
    from_at: number;
    to_at: number;
    reason: string;
    created_by: string;
    created_at: number;
    removed_at: number | null;
    removed_by: string | null;
  };
  oncall_escalations: {
    fingerprint: string;
    alertname: string;
    labels: string;
    policy: string;
    level: number;
    round: number;
    /** paging | acknowledged | resolved | exhausted */
    status: string;
    next_at: number | null;
    started_at: number;
    ended_at: number | null;
    ended_by: string | null;
  };
  oncall_action_links: { nonce: string; action: string; target: string; used_by: string; used_at: number };
};

export function oncallDb(db: Db) {
  return db.withTables<OncallTables>();
}
