import type { Generated } from "kysely";
import type { Db } from "../../db/database.ts";

/** The notification tables (migration 0013_alert_notify), known to Kysely through `withTables`. */
export type AlertNotifyTables = {
  alert_silences: {
    id: string;
    matchers: string;
    author: string;
    reason: string;
    starts_at: number;
    ends_at: number;
    expired_at: number | null;
    expired_by: string | null;
  };
  alert_notify_log: { group_key: string; last_sent_at: number; firing: string };
  alert_deliveries: {
    id: Generated<number>;
    at: number;
    receiver: string;
    kind: string;
    group_key: string;
    reason: string;
    status: string;
    attempts: number;
    error: string | null;
    alerts: string;
    text: string;
    updated_at: number;
  };
};

export function notifyDb(db: Db) {
  return db.withTables<AlertNotifyTables>();
}
