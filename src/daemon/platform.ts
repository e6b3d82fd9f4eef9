import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import { createAccessRequests } from "../access/access-requests.module.ts";
import { standingFromUsers } from "../access/access-request.service.ts";
import { defaultAccessPolicy, requestPolicyFor } from "../access/access-policy.schema.ts";
import { ManifestSource } from "../config/manifest-source.ts";
import { openDatabase } from "../db/database.ts";
import { createEvents } from "../events/events.module.ts";
import { createAudit } from "../audit/audit.module.ts";
import { createAlerts } from "../alerts/alerts.module.ts";
import { deploymentsOf } from "../alerts/deploy-context.ts";
import { appPresence } from "../checks/app-presence.ts";
import { createChecks } from "../checks/checks.module.ts";
import { createFlags } from "../flags/flags.module.ts";
import { createAccess } from "../access/access.module.ts";
import { createIncidents } from "../incidents/incidents.module.ts";
import { eventlessTables, platformMigrations } from "../platform/migrations.ts";
import type { Module } from "../platform/module.ts";
import { stopEnvironment } from "../platform/environment-stop.ts";
import { findLeftovers, stopLeftovers, type Leftover } from "../platform/leftovers.ts";
import { createPlatformStatus } from "../platform/platform-status.module.ts";
import type { StatusService } from "../platform/status.service.ts";
import { createReleases } from "../releases/releases.module.ts";
import { createRuntime } from "../runtime/runtime.module.ts";
import { systemClock, type TimerClock } from "../shared/clock.ts";
import { logger } from "../shared/logger.ts";
import { rampartVersion } from "../shared/version.ts";
import { createTelemetry } from "../telemetry/telemetry.module.ts";
import { createTraffic } from "../traffic/traffic.module.ts";
import { createSecrets } from "../secrets/secrets.module.ts";
import type { EventLog } from "../events/event-log.ts";
import { type Credentials, readCredentials } from "./credentials.ts";
import { manifestProtection, serveApi } from "./platform-api.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { assertApiPortFree } from "./api-port.ts";
import { assertSafeListen } from "./api-tls.ts";
import { createOidc } from "../access/oidc.module.ts";
import { createBackups } from "../backup/backup.module.ts";
import { createLoadTests } from "../loadtest/loadtest.module.ts";
import { createParity } from "../parity/parity.module.ts";
import { createReadiness } from "../readiness/readiness.module.ts";
import { wireRollbackDrills } from "../rollback-drills/rollback-drill.wiring.ts";
import { createPlan } from "../plan/plan.module.ts";
import { createGateway } from "../gateway/gateway.module.ts";
import { accessLogRoot } from "../traffic/traffic.module.ts";
import { createRum } from "../rum/rum.module.ts";
import { withRumWindows } from "../rum/rum.store.ts";

const DEFAULT_API = { host: "127.0.0.1", port: 7700 };
import { createAlertNotifier } from "../alerts/notify/alert-notify.module.ts";
import { createOncall } from "../oncall/oncall.module.ts";
import { withActionLinks } from "../oncall/alert-links.ts";
import { loadActionLinkKey } from "../oncall/action-link.ts";
import { cachedLastChange, withLastChange } from "../alerts/last-change.ts";
import { createConsole } from "../console/console.module.ts";

/**
 * Every evaluation round hands the notifier every firing alert; only one that fired this recently opens or joins an
 * incident, so an alert still firing after its incident was resolved does not open another one.
 */
const INCIDENT_FROM_ALERT_WINDOW_MS = 60_000;

export interface PlatformOptions {
  configPath: string;
  dataDir: string;
  /** `--api`/RAMPART_API; when absent, rampart.yaml's `api.listen`, else 127.0.0.1:7700. */
  apiHost?: string;
  apiPort?: number;
  clock?: TimerClock;
}

export interface RunningPlatform {
  credentials: Credentials;
  status: StatusService;
  /** Resolves when the platform has stopped (after `stop` or a shutdown request). */
  stopped: Promise<void>;
  /** Leaves the edge and instances serving unless `stopApps`. */
  stop(stopApps: boolean): Promise<void>;
  /** Instances still running for environments or apps removed from rampart.yaml. */
  leftovers(): Leftover[];
  /** Drains and stops them (`rampart up --yes`); returns their ids. */
  stopLeftovers(actor: string): Promise<string[]>;
}

/** The one composition root: a list of capability modules (src/platform/module.ts), wired here and nowhere else. */
export async function startPlatform(options: PlatformOptions): Promise<RunningPlatform> {
  const clock = options.clock ?? systemClock;
  const dataDir = resolve(options.dataDir);
  // The manifest is validated before anything starts or changes.
  const manifests = new ManifestSource(resolve(options.configPath));
  const apiSettings = manifests.current.api;
  const apiListen =
    options.apiHost === undefined ? (apiSettings?.listen ?? DEFAULT_API) : { host: options.apiHost, port: options.apiPort ?? 7700 };
  const apiTls = apiSettings?.tls ?? null;
  assertSafeListen(apiListen.host, apiListen.port, apiTls, apiSettings?.insecure ?? false, manifests.current.path);
  // A taken API port stops `up` here, before an edge or instance is started that it would leave behind.
  await assertApiPortFree(apiListen.host, apiListen.port);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(dataDir);
  // Tests set RAMPART_EVENT_AUDIT to a file: every transaction that writes state without an event is recorded there.
  const auditFile = process.env.RAMPART_EVENT_AUDIT;
  const database = await openDatabase(
    dataDir,
    platformMigrations,
    auditFile ? { audit: { eventless: eventlessTables, file: auditFile } } : {},
  );
  const { db } = database;
  const startedAt = clock.now();
  const assertApp = (env: string, app: string) => manifests.assertApp(env, app);

  // Modules that need each other's services late (instances, launch configs, sinks) get them through closures.
  const events = createEvents({ db, clock });
  const shared = { db, clock, dataDir, events: events.log };
  // Signs checkpoints of the event log's hash chain; `audit.auditor` is the API server's RequestAuditor.
  const audit = createAudit(shared);
  const telemetry = createTelemetry({
    ...shared,
    startedAt,
    instances: () => runtime.supervisor.list(),
    scrapeTargetOf: async (i) => (await releases.store.get(i.env, i.app, i.release))?.config.metrics ?? null,
    assertApp,
    extraFamilies: () => incidents.metricFamilies(),
  });
  // A fixed API port is known now, so instances started before the API listens get the OTLP endpoint too.
  if (apiListen.port !== 0) telemetry.setApi(apiListen.host, apiListen.port);
  // Weekly experiment reports go to the alert receivers as info notices (called once everything runs).
  const flags = createFlags({ ...shared, manifests, inform: (notice) => alertNotify.inform(notice) });
  // Real-user monitoring: the edge's RUM series into rum_stats and the metrics store (alert rules read them there).
  const rum = createRum({ db, clock, metrics: telemetry.metrics.store, assertApp });
  // The credentials file is written when the API starts listening, before any request is authenticated.
  let localToken: string | undefined;
  const access = createAccess({
    ...shared,
    timedGrants: () => accessRequests.service,
    localToken: () => (localToken ??= readCredentials(dataDir)?.token) ?? "",
  });
  const traffic = createTraffic({
    ...shared,
    manifests,
    releases: { get: (...a) => releases.store.get(...a), findByStatus: (...a) => releases.store.findByStatus(...a) },
    instances: () => runtime.supervisor.list(),
    sinks: () => modules.flatMap((m) => m.sinks ?? []),
    // Only the hashes of an app's active API keys go to the edge.
    apiKeys: (env, app) => gateway.keys.activeHashes(env, app),
  });
  const runtime = createRuntime({
    ...shared,
    traffic: traffic.service,
    launchConfig: (instance) => releases.launchConfigFor(instance),
    secretValues: (refs) => secrets.service.values(refs),
    logs: telemetry.logsTraces,
    assertApp,
  });
  const releases = createReleases({
    ...shared,
    manifests,
    supervisor: runtime.supervisor,
    traffic: traffic.service,
    // Requests from the edge's request_stats, with the pages' web vitals (RUM) for canary guards such as lcp_p75.
    windows: (env, app) => (numbers, since) =>
      withRumWindows(traffic.stats.releaseWindows(env, app, numbers, since), rum.store.windows(env, app, since, numbers)),
    otelEnv: (env, app, release) => telemetry.logsTraces.otelEnv(env, app, release),
    secrets: { versionsFor: (env, app, required) => secrets.service.versionsFor(env, app, required) },
    // The first release of an app in a protected environment waits for its required readiness checks.
    gate: (input) => readiness.service.gate(input),
  });
  // A secret change is a release: set/unset rolls the live release out again with the new versions.
  const secrets = createSecrets({
    ...shared,
    manifests,
    releaser: () => ({
      assertIdle: (env, app) => releases.service.assertIdle(env, app),
      release: (env, app, actor, cause) => releases.service.reconfigure(env, app, actor, cause),
    }),
  });
  const platform = createPlatformStatus({
    manifests,
    releases: releases.store,
    rollouts: releases.rollouts,
    supervisor: runtime.supervisor,
    edge: traffic.edge,
    dataDir,
    version: rampartVersion,
    startedAt,
    shutdown: (stopApps, actor) => {
      stoppingActor = actor;
      void stop(stopApps);
    },
    stopEnvironment: (env, actor) =>
      stopEnvironment(
        {
          manifest: () => manifests.current,
          instances: () => runtime.supervisor.list(),
          drainAndStop: (id, reason) => runtime.supervisor.drainAndStop(id, reason),
          activeRollouts: () => releases.rollouts.active(),
          append: (event) => events.log.append(event),
        },
        env,
        actor,
      ),
  });
  // Routing, grouping, silences and receivers of alerts; alert evaluation hands it its alerts (alertNotify.notifier).
  const alertNotifyUrl = `${apiTls ? "https" : "http"}://${apiListen.host.includes(":") ? `[${apiListen.host}]` : apiListen.host}:${apiListen.port}`;
  // The links in notifications name the port the API really listens on (it is chosen at listen time for port 0).
  let apiUrl = alertNotifyUrl;
  const alertNotify = createAlertNotifier({
    ...shared,
    alerts: () => manifests.current.alerts,
    externalUrl: alertNotifyUrl,
  });
  const lastChange = cachedLastChange(events.log);
  const alerts = createAlerts({
    ...shared,
    // Failing synthetic checks of the app (all, or the one named); null while it has none.
    checkFailed: (target, check) => {
      const results = checks.service
        .checkResults()
        .filter((r) => r.env === target.env && r.app === target.app && (check === null || r.name === check));
      return results.length === 0 ? null : results.filter((r) => !r.ok).length;
    },
    // A critical alert that has just fired opens an incident (or joins the app's open one), then is routed as any alert.
    notifier: () => ({
      notify: async (fired, now) => {
        for (const alert of fired) {
          if (alert.firedAt !== null && now - alert.firedAt <= INCIDENT_FROM_ALERT_WINDOW_MS) await incidents.service.onAlertFiring(alert);
        }
        // Each firing alert's notification offers its fixes as signed links (acknowledge, roll back, flag off), and
        // names the last deploy, flag or secret change before it fired.
        const annotated = await Promise.all(fired.map((a) => withLastChange(a, lastChange, now)));
        await alertNotify.notifier.notify(
          annotated.map((a) => withActionLinks(a, oncall.signer, apiUrl, now)),
          now,
        );
        // Critical alerts page whoever is on call, and escalate until someone acknowledges.
        await oncall.escalations.observe(fired);
      },
    }),
    manifest: () => manifests.current,
    metrics: telemetry.metrics,
    instances: () => runtime.supervisor.list(),
    deployments: () =>
      deploymentsOf({
        manifest: () => manifests.current,
        activeRollouts: () => releases.rollouts.active(),
        liveRelease: async (env, app) => (await releases.store.findByStatus(env, app, "live"))?.number ?? null,
      }),
    abortCanary: async (env, app, reason, evidence) => {
      await releases.rollout.control(env, app, "abort", "rampart", reason, evidence);
    },
  });
  const accessRequests = createAccessRequests({
    ...shared,
    manifests,
    standing: standingFromUsers(access.users),
    // A grant taking effect is a privilege change: the requester's console sessions end (ADR 12).
    endSessions: (trx, user, reason) => access.sessions.endSessionsOf(trx, user, reason),
  });
  // Who asked the platform to stop (the shutdown route's caller); "rampart" for a signal.
  let stoppingActor = "rampart";
  const checks = createChecks({
    ...shared,
    clock,
    manifest: () => manifests.current,
    serving: (env, app) =>
      appPresence(
        runtime.supervisor.list().filter((i) => i.env === env && i.app === app),
        traffic.edge.routesTo(env, app),
        clock.now(),
      ),
    assertApp,
    metrics: telemetry.metrics.store,
    signingKey: () => loadActionLinkKey(process.env),
    probeToken: traffic.probeToken,
  });
  const incidents = createIncidents({
    ...shared,
    envs: () => Object.keys(manifests.current.environments),
    // An opened SEV-1/2 goes where critical alerts go, with its title and the commands to respond.
    page: (incident, commands) =>
      alertNotify.page({
        id: incident.id,
        title: incident.title,
        severity: incident.severity,
        env: incident.env,
        app: incident.app,
        commands,
      }),
  });
  const oncall = createOncall({
    ...shared,
    oncall: () => manifests.current.oncall,
    alerts: () => manifests.current.alerts,
    externalUrl: () => apiUrl,
  });
  // OpenID Connect login (rampart.yaml access.oidc): its users and sessions are the identity store's.
  const oidc = createOidc({ settings: () => manifests.current.oidc ?? null, sessions: access.sessionIssuer, users: access.externalUsers });
  // Online backups (POST /api/v1/backups) and their schedule from rampart.yaml `backups:`.
  const backups = createBackups({ ...shared, version: rampartVersion, settings: () => manifests.current.backups ?? null });
  // Load test results (rampart loadtest drives the load through the edge itself).
  const loadTests = createLoadTests({
    events: events.log,
    isProtected: (env) => manifests.current.environments[env]?.protected ?? false,
    assertApp,
  });
  // Staging/production parity: reads releases, instances, secrets (names, versions; a database URL only to connect) and flags.
  const parity = createParity({
    manifests,
    clock,
    sources: {
      liveRelease: async (env, app) => (await releases.store.findByStatus(env, app, "live")) ?? null,
      instances: (env, app) => runtime.supervisor.list().filter((i) => i.env === env && i.app === app),
      secrets: async (env, app) =>
        (await secrets.service.list(env, app)).map((s) => ({ name: s.name, version: s.version, setAt: s.setAt })),
      secretValue: (env, app, name) => secrets.service.currentValue(env, app, name),
      flags: async () => (await flags.service.list()).map((f) => ({ key: f.key, environments: f.environments })),
    },
  });
  // The readiness scorecard and the first-protected-deploy gate, from what the other modules record.
  // Rollback drills and parity are wired here when they exist (rollbackDrills, parity); until then they show "unavailable".
  const readiness = createReadiness({
    events: events.log,
    clock,
    manifests,
    releases: (env, app) => releases.store.list(env, app),
    artifactDir: (digest) => releases.artifacts.srcDir(digest),
    secretValues: async (app) => {
      const values = [];
      for (const env of Object.keys(manifests.current.environments)) {
        const versions = await secrets.service.versionsFor(env, app, []);
        for (const [name, value] of Object.entries(await secrets.service.values({ env, app, versions }))) values.push({ name, value });
      }
      return values;
    },
    checkResults: (env, app) => checks.service.checkResults().filter((r) => r.env === env && r.app === app),
    oncall: { who: () => oncall.service.who() },
    loadTests: loadTests.service,
    parity: { drift: (app, fromEnv, toEnv) => parity.service.drift(app, fromEnv, toEnv) },
    // A closure: rollbackDrills is created below.
    rollbackDrills: { latest: (env, app) => rollbackDrills.service.latest(env, app) },
  });
  // Rollback drills (rampart drill rollback, and rampart.yaml drills.rollback): deploy, roll back, measure under load.
  const rollbackDrills = wireRollbackDrills({
    ...shared,
    manifests,
    releases: () => releases,
    traffic: (env, app) => traffic.service.get(env, app),
    instances: () => runtime.supervisor.list(),
  });
  // rampart plan / apply / export: rampart.yaml against the manifest last applied and the live releases' configs.
  const plan = createPlan({
    manifests,
    liveConfig: async (env, app) => (await releases.store.findByStatus(env, app, "live"))?.config ?? null,
    events: events.log,
    clock,
    pushRouting: () => traffic.edge.applyRouting(),
  });
  // Authentication at the edge: API keys (a change pushes a table) and the access log's reader.
  const gateway = createGateway({
    ...shared,
    assertApp,
    environments: () => Object.keys(manifests.current.environments),
    accessLogRoot: accessLogRoot(dataDir),
    applyRouting: () => traffic.edge.applyRouting(),
  });
  // The web console at / and its home view's aggregate route (src/console): reads only, through each owner.
  const consoleModule = createConsole({
    clock,
    oidcConfigured: () => (manifests.current.oidc ?? null) !== null,
    sources: {
      status: () => platform.status.status(),
      summary: (env, app, sinceMs) => telemetry.metrics.service.summary(env, app, undefined, sinceMs),
      latencySeries: (from, to) =>
        telemetry.metrics.service.query({
          metric: "rampart_http_request_duration_seconds",
          fn: "quantile",
          q: 0.99,
          by: ["env", "app"],
          from,
          to,
          step: 60_000,
          window: 60_000,
        }),
      rollout: (env, app) => releases.rollout.status(env, app),
      alerts: async () => (await alerts.admin.active()).alerts,
      openIncidents: () => incidents.service.list({ open: true }),
      onCall: async () => (await oncall.service.who()).schedules,
      events: (query) => events.log.query(query),
    },
  });
  // Started in this order (the edge keeps serving, instances are re-adopted, then the table is pushed), stopped in reverse.
  // The audit comes right after events: its key is loaded before anything else starts, and it stops (signing the
  // final checkpoint) after every other module has written its last event.
  const modules: Module[] = [
    events,
    audit,
    telemetry,
    flags,
    traffic,
    runtime,
    releases,
    platform,
    access,
    accessRequests,
    secrets,
    oidc,
    alertNotify,
    alerts,
    checks,
    incidents,
    oncall,
    backups,
    loadTests,
    parity,
    readiness,
    rollbackDrills,
    plan,
    gateway,
    rum,
    consoleModule,
  ];
  let api: FastifyInstance | undefined;
  const { stop, stopped } = once(async (stopApps: boolean) => {
    await recordStopping(events.log, stopApps, stoppingActor);
    await api?.close();
    if (stopApps) {
      await runtime.drainAll("rampart down");
      await traffic.edge.stopEdge();
    }
    for (const module of [...modules].reverse()) await module.stop?.();
    await database.close();
    releaseLock(unlock);
  });

  let served: Awaited<ReturnType<typeof serveApi>>;
  try {
    for (const module of modules) await module.start?.();
    for (const module of modules) await module.run?.();
    served = await serveApi(modules, {
      dataDir,
      host: apiListen.host,
      port: apiListen.port,
      tls: apiTls,
      protection: manifestProtection(() => manifests.current),
      // Every request that changes or reveals something is recorded before it runs, or refused (fail-closed).
      auditor: audit.auditor,
      grants: accessRequests.service,
      requestableRoles: (env) => requestPolicyFor(manifests.current.access ?? defaultAccessPolicy, env).roles,
      authenticator: () => access.authenticator,
    });
  } catch (error) {
    // Nothing keeps running for a platform that did not start: loops stopped, database closed, lock released.
    await stop(false).catch((stopError: unknown) => logger.warn({ err: stopError }, "could not stop after a failed start"));
    throw error;
  }
  api = served.api;
  apiUrl = alertNotifyUrl.replace(/:\d+$/, `:${served.port}`);
  telemetry.setApi(apiListen.host, served.port);
  const { credentials } = served;
  await events.log.append({
    type: "platform.started",
    message: `control plane up (pid ${process.pid}), API ${credentials.api}`,
    data: { pid: process.pid, api: credentials.api, version: rampartVersion },
  });
  const leftovers = () => findLeftovers(manifests.current, runtime.supervisor.list());
  return {
    credentials,
    status: platform.status,
    stopped,
    stop,
    leftovers,
    stopLeftovers: (actor) =>
      stopLeftovers(
        {
          leftovers,
          drainAndStop: (id, reason) => runtime.supervisor.drainAndStop(id, reason),
          append: (event) => events.log.append(event),
        },
        actor,
      ),
  };
}

/** Runs the stop once, however often it is asked for; `stopped` resolves when it is done. */
function once(work: (stopApps: boolean) => Promise<void>): { stop(stopApps: boolean): Promise<void>; stopped: Promise<void> } {
  let stopping: Promise<void> | null = null;
  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  return { stopped, stop: (stopApps) => (stopping ??= work(stopApps).then(resolveStopped)) };
}

async function recordStopping(events: EventLog, stopApps: boolean, actor: string): Promise<void> {
  // A full or read-only data dir must not keep the control plane from stopping: the event is best effort.
  await events
    .append({
      type: "platform.stopping",
      message: stopApps
        ? "rampart down: draining every instance and stopping the edge"
        : "control plane stopping; the edge and instances keep serving",
      data: { stopApps },
      actor,
    })
    .catch((error: unknown) => logger.warn({ err: error }, "could not record platform.stopping"));
}

function releaseLock(unlock: () => void): void {
  try {
    unlock();
  } catch (error) {
    // The lock names this pid, which is about to exit: the next `rampart up` sees it as stale.
    logger.warn({ err: error }, "could not release the data dir lock");
  }
}
