import type { RouteDefinition } from "../api/route-definition.ts";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Module } from "../platform/module.ts";
import type { Clock } from "../shared/clock.ts";
import { auditKeyPath, loadOrCreateAuditKey } from "./audit-key.ts";
import { auditChainMigration } from "./audit.migration.ts";
import { auditRoutes } from "./audit.routes.ts";
import { AuditService, type CheckpointPolicy, defaultCheckpointPolicy } from "./audit.service.ts";
import { AuditStore } from "./audit.store.ts";
import { CheckpointFile } from "./checkpoint-file.ts";
import { EventRequestAuditor } from "./request-auditor.ts";

/** Migrations the audit registers (name and order as released). */
export const auditMigrations = { "0006_audit_chain": auditChainMigration };

export interface Audit extends Module {
  service: AuditService;
  /** The RequestAuditor (src/access/caller.ts) the API server records requests through. */
  auditor: EventRequestAuditor;
  routes: RouteDefinition[];
}

/**
 * The tamper-evident log: chain hashes are written by the event store itself (src/events/event.store.ts); this
 * module signs checkpoints with the key outside the data dir, verifies, serves the audit view and records requests.
 */
export function createAudit(deps: {
  db: Db;
  events: EventLog;
  clock: Clock;
  dataDir: string;
  keyFile?: string;
  policy?: CheckpointPolicy;
}): Audit {
  const keyFile = deps.keyFile ?? auditKeyPath();
  const service = new AuditService({
    store: new AuditStore(deps.db),
    events: deps.events,
    file: new CheckpointFile(deps.dataDir),
    clock: deps.clock,
    policy: deps.policy ?? defaultCheckpointPolicy,
    loadKey: () => loadOrCreateAuditKey(keyFile, deps.dataDir),
  });
  return {
    name: "audit",
    service,
    auditor: new EventRequestAuditor(deps.events),
    routes: auditRoutes(service),
    start: () => service.start(),
    run: () => service.run(),
    stop: () => service.stop(),
  };
}
