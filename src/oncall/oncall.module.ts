import { resolveNotifyConfig } from "../alerts/notify/notify-config.ts";
import type { AlertNotifyFile } from "../alerts/notify/notify.schema.ts";
import type { RouteDefinition } from "../api/route-definition.ts";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Module } from "../platform/module.ts";
import type { TimerClock } from "../shared/clock.ts";
import { logger } from "../shared/logger.ts";
import { ActionLinkSigner, loadActionLinkKey } from "./action-link.ts";
import { actionLinkProtocol } from "./action-link.protocol.ts";
import { ActionLinkUses } from "./action-link.store.ts";
import { EscalationService } from "./escalation.service.ts";
import { EscalationStore } from "./escalation.store.ts";
import type { Pager } from "./escalation.types.ts";
import { oncallMigration } from "./oncall.migration.ts";
import { oncallRoutes } from "./oncall.routes.ts";
import { type OncallFile, policiesOf } from "./oncall.schema.ts";
import { OncallService } from "./oncall.service.ts";
import { OverrideStore } from "./override.store.ts";
import { createPager } from "./pager.ts";
import { periodicLoop } from "../shared/periodic-loop.ts";

/** Migrations on-call registers (name and order as released). */
export const oncallMigrations = { "0015_oncall": oncallMigration };

const TICK_MS = 1_000;

export interface Oncall extends Module {
  /** Signs the action links notifications carry (`/api/v1/actions/<token>`). */
  signer: ActionLinkSigner;
  service: OncallService;
  /** Also the alerting hook: `escalations.observe(alerts)` at every evaluation round. */
  escalations: EscalationService;
  routes: RouteDefinition[];
}

/**
 * On-call: schedules and overrides (who), and escalation of critical alerts (page, wait, next level, repeat) until
 * someone acknowledges. `oncall` and `alerts` read the manifest at each use, so a reload applies. `pager` is for tests.
 */
export function createOncall(deps: {
  db: Db;
  events: EventLog;
  clock: TimerClock;
  oncall: () => OncallFile | undefined;
  alerts: () => AlertNotifyFile | undefined;
  env?: Readonly<Record<string, string | undefined>>;
  pager?: Pager;
  /** Where the API is reached, for the signed links in pages; without it pages name the CLI command. */
  externalUrl?: () => string;
  signer?: ActionLinkSigner;
}): Oncall {
  const signer = deps.signer ?? new ActionLinkSigner(() => loadActionLinkKey(deps.env ?? process.env));
  const uses = new ActionLinkUses({ db: deps.db, events: deps.events, clock: deps.clock });
  const service = new OncallService({ store: new OverrideStore(deps.db), events: deps.events, clock: deps.clock, oncall: deps.oncall });
  const pager =
    deps.pager ??
    createPager({
      // Email pages go out through the SMTP server of the first email receiver, so it is declared once.
      smtp: () => {
        for (const r of Object.values(resolveNotifyConfig(deps.alerts()).receivers)) if (r.kind === "email") return r.smtp;
        return undefined;
      },
      env: deps.env ?? process.env,
    });
  const escalations = new EscalationService({
    store: new EscalationStore(deps.db),
    events: deps.events,
    clock: deps.clock,
    oncall: service,
    policies: () => policiesOf(deps.oncall()),
    pager,
    ...(deps.externalUrl
      ? {
          ackHint: (e: { fingerprint: string }) =>
            `${deps.externalUrl?.() ?? ""}/api/v1/actions/${signer.sign("ack", e.fingerprint, deps.clock.now())} (or rampart alerts ack ${e.fingerprint})`,
        }
      : {}),
  });

  const loop = periodicLoop(
    deps.clock,
    TICK_MS,
    () => escalations.tick(deps.clock.now()),
    (error) => logger.warn({ err: error }, "oncall: escalation tick failed; trying again next second"),
  );
  return {
    name: "oncall",
    service,
    escalations,
    signer,
    routes: oncallRoutes({ oncall: service, escalations }),
    protocols: [actionLinkProtocol({ signer, uses, clock: deps.clock })],
    run: () => loop.start(),
    stop: () => loop.stop(),
  };
}
