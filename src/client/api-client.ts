import { eventSchema, type RampartEvent } from "../events/event.types.ts";
import type { PlatformStatus } from "../platform/status.types.ts";
import type { DeployBody, PromoteBody, ReleaseView, RollbackBody } from "../releases/release.types.ts";
import type { RolloutAction, RolloutView } from "../releases/rollout.view.ts";
import { type LogLineView, logLineSchema } from "../runtime/log.routes.ts";
import { parseJsonAs } from "../shared/checked-json.ts";
import type { TraceSummaryView, TraceView } from "../telemetry/trace.routes.ts";
import type { MetricsQueryResult, MetricsSummary } from "../telemetry/metrics.view.ts";
import type { CreateFlagBody, EnvStatePatch, PercentRolloutBody, PlanBody, SegmentBody } from "../flags/flag.types.ts";
import type { ChangeRequestView, ChangeResult, EvaluationView, FlagView } from "../flags/flag.view.ts";
import type { SegmentDefinition } from "../../packages/sdk/src/flag-data.ts";
import type { ExperimentReportView, ExperimentResults } from "../flags/flag-experiment.view.ts";
import { readEvents } from "../../packages/sdk/src/sse-reader.ts";
import { followEvents, StreamRefused, type FollowOptions } from "./sse-follow.ts";
import { z } from "zod";
// "#tls-trust" is ./tls-trust.ts, or in the web console's build its browser stand-in (package.json "imports").
import { defaultFetch, type FetchFunction, isUntrustedCertificate, type TlsTrust, trustingFetch } from "#tls-trust";
import { type ErrorCode, errorCatalogue, isErrorCode } from "../shared/error-catalogue.ts";
import type { AccessRequestView, BreakGlassBody, RequestBody } from "../access/access-request.types.ts";
import { SOURCE_BUNDLE_TYPE, type UploadView } from "../releases/source-bundle.types.ts";
import type { VerifyView } from "../audit/audit.types.ts";
import type { SecretChange } from "../secrets/secret.service.ts";
import type { SecretDiff, SecretMeta, SecretVersionView } from "../secrets/secret.types.ts";
import type { DbQueryResult } from "../secrets/db-query.types.ts";
import type {
  AddUserBody,
  CreatedToken,
  CreateTokenBody,
  GrantBody,
  GrantView,
  LoginResult,
  TokenView,
  UpdateUserBody,
  UserView,
  WhoAmI,
} from "../access/identity.types.ts";
import type { AlertHistory, AlertView, RuleBody, RulesResponse, RuleView } from "../alerts/alert.view.ts";
import type { CreateOverrideBody } from "../oncall/oncall.routes.ts";
import type { StoredOverride, WhoView } from "../oncall/oncall.types.ts";
import type { Escalation } from "../oncall/escalation.types.ts";
import type { CreateSilenceBody, SilenceViewBody } from "../alerts/notify/notify.routes.ts";
import type { Delivery } from "../alerts/notify/delivery.types.ts";
import type { CheckView } from "../checks/checks.types.ts";
import type { BackupView } from "../backup/backup.types.ts";
import type { LoadResult, RecordedLoadTest } from "../loadtest/loadtest.types.ts";
import type { OverrideView, ReadinessReport } from "../readiness/readiness.types.ts";
import type { RollbackDrill } from "../rollback-drills/rollback-drill.types.ts";
import type { ApplyResult, Plan } from "../plan/plan.types.ts";
import type { ApiKey, CreatedApiKey } from "../gateway/api-key.types.ts";
import type { AccessLine } from "../gateway/edge-log.reader.ts";
import type { RumSummary } from "../rum/rum.types.ts";
import type { DoraReport } from "../incidents/dora.ts";
import type { ParityQuery, ParityReport } from "../parity/parity.types.ts";
import type {
  IncidentProposal,
  IncidentRole,
  IncidentStatus,
  IncidentView,
  Postmortem,
  PostmortemEditRequest,
  TimelineEntry,
} from "../incidents/incident.types.ts";
import type { Overview } from "../console/overview.types.ts";

/** Reconnects a stream after a disconnect and resumes after its last event (see followEvents). */
export type FollowHooks = Pick<FollowOptions, "lastEventId" | "onReconnecting" | "onReconnected" | "minDelayMs" | "maxDelayMs">;

export type { ErrorCode } from "../shared/error-catalogue.ts";

/**
 * A non-2xx answer of the API (or no readable answer at all), carrying its error code and hint. `status` is the
 * HTTP status of the answer, 0 when there was none (`unreachable`).
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly hint: string;
  readonly details: unknown;

  constructor(status: number, code: ErrorCode, message: string, hint?: string, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.hint = hint ?? errorCatalogue[code].hint;
    this.details = details;
  }
}

/** The API's error envelope, as `sendError` writes it (and an SSE `error` event's data, without the wrapper). */
const errorBodySchema = z.object({
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  details: z.unknown().optional(),
});
const errorEnvelopeSchema = z.object({ error: errorBodySchema });

export interface EventFilter {
  since?: number;
  afterId?: number;
  /** Only events with a smaller id: the next page back (lists only). */
  beforeId?: number;
  env?: string;
  app?: string;
  type?: string;
  limit?: number;
}

export interface LogFilter {
  since?: number;
  until?: number;
  grep?: string;
  /** grep matches case exactly (default: ignores case). */
  caseSensitive?: boolean;
  release?: number;
  limit?: number;
  /** Minimum level: trace, debug, info, warn, error, fatal. */
  level?: string;
  instance?: string;
}

export interface TraceFilter {
  route?: string;
  since?: number;
  slowest?: boolean;
  errors?: boolean;
  limit?: number;
}

/** The one typed client of the control-plane API, used by the CLI, the console and the tests. */
export class ApiClient {
  readonly baseUrl: string;
  readonly #token: string;
  readonly #locate: (() => string | undefined) | undefined;
  readonly #fetchImpl: FetchFunction;
  readonly #onUnauthorized: ((error: ApiError) => void) | undefined;

  /**
   * `locate` finds the API again when a followed stream reconnects (a restarted `rampart up` may listen on
   * another port: the CLI re-reads the credentials file); without it, or when it finds nothing, `baseUrl`.
   * `onUnauthorized` hears every 401 answer before it is thrown (the console goes back to its sign-in page with it).
   */
  constructor(options: {
    baseUrl: string;
    token: string;
    locate?: () => string | undefined;
    tls?: TlsTrust;
    onUnauthorized?: (error: ApiError) => void;
  }) {
    this.baseUrl = options.baseUrl.replace(/\/$/, "");
    this.#token = options.token;
    this.#locate = options.locate;
    this.#onUnauthorized = options.onUnauthorized;
    // An https API with a certificate of its own CA (or self-signed) is trusted through `tls`; else the system's CAs.
    this.#fetchImpl = options.tls ? trustingFetch(options.tls) : defaultFetch;
  }

  health(): Promise<{ ok: true; version: string; pid: number }> {
    return this.#call("GET", "/api/v1/health");
  }

  status(): Promise<PlatformStatus> {
    return this.#call("GET", "/api/v1/status");
  }

  deploy(env: string, app: string, body: DeployBody = {}): Promise<ReleaseView> {
    return this.#call("POST", `${appPath(env, app)}/releases`, body);
  }

  rollback(env: string, app: string, body: RollbackBody = {}): Promise<ReleaseView> {
    return this.#call("POST", `${appPath(env, app)}/rollbacks`, body);
  }

  async releases(env: string, app: string): Promise<ReleaseView[]> {
    return (await this.#call<{ releases: ReleaseView[] }>("GET", `${appPath(env, app)}/releases`)).releases;
  }

  release(env: string, app: string, number: number): Promise<ReleaseView> {
    return this.#call("GET", `${appPath(env, app)}/releases/${number}`);
  }

  rollout(env: string, app: string): Promise<RolloutView> {
    return this.#call("GET", `${appPath(env, app)}/rollout`);
  }

  controlRollout(env: string, app: string, action: RolloutAction, reason?: string): Promise<RolloutView> {
    return this.#call("POST", `${appPath(env, app)}/rollout/${action}`, { reason });
  }

  promote(app: string, body: Partial<PromoteBody> & Pick<PromoteBody, "from" | "to">): Promise<ReleaseView> {
    return this.#call("POST", `/api/v1/apps/${encodeURIComponent(app)}/promotions`, body);
  }

  async events(filter: EventFilter = {}): Promise<RampartEvent[]> {
    return (await this.#call<{ events: RampartEvent[] }>("GET", `/api/v1/events${queryString(filter)}`)).events;
  }

  async logs(env: string, app: string, filter: LogFilter = {}): Promise<LogLineView[]> {
    return (await this.#call<{ lines: LogLineView[] }>("GET", `${appPath(env, app)}/logs${queryString(filter)}`)).lines;
  }

  async traces(env: string, app: string, filter: TraceFilter = {}): Promise<TraceSummaryView[]> {
    return (await this.#call<{ traces: TraceSummaryView[] }>("GET", `${appPath(env, app)}/traces${queryString(filter)}`)).traces;
  }

  trace(traceId: string): Promise<TraceView> {
    return this.#call("GET", `/api/v1/traces/${encodeURIComponent(traceId)}`);
  }

  /** Requests/s, error % and p50/p95/p99 of an app's edge traffic (`since` a duration such as 5m). */
  metrics(
    env: string,
    app: string,
    options: { by?: "route" | "release" | "instance" | "code"; since?: string } = {},
  ): Promise<MetricsSummary> {
    return this.#call("GET", `${appPath(env, app)}/metrics${queryString(options)}`);
  }

  /** The structured metrics query (see docs/telemetry.md); `filter` as `env="production",app="web"`. */
  metricsQuery(query: {
    metric: string;
    fn?: string;
    by?: string;
    filter?: string;
    q?: number;
    from?: number;
    to?: number;
    step?: string;
    window?: string;
  }): Promise<MetricsQueryResult> {
    return this.#call("GET", `/api/v1/metrics/query${queryString(query)}`);
  }

  stopEnvironment(env: string): Promise<{ env: string; stopped: string[] }> {
    return this.#call("POST", `/api/v1/envs/${encodeURIComponent(env)}/stop`, {});
  }

  shutdown(stopApps: boolean): Promise<{ ok: true; stopApps: boolean }> {
    return this.#call("POST", "/api/v1/shutdown", { stopApps });
  }

  /** New events as they are appended; with `follow`, across reconnects, none missed or repeated. */
  async *streamEvents(
    filter: Omit<EventFilter, "since" | "limit" | "beforeId">,
    signal?: AbortSignal,
    follow?: FollowHooks,
  ): AsyncGenerator<RampartEvent> {
    for await (const message of this.#stream(`/api/v1/events/stream${queryString(filter)}`, signal, follow)) {
      if (message.event === "event") yield parseJsonAs(eventSchema, message.data, "an event of the API's event stream");
    }
  }

  async *streamLogs(
    env: string,
    app: string,
    filter: Pick<LogFilter, "grep" | "release" | "level" | "instance">,
    signal?: AbortSignal,
    follow?: FollowHooks,
  ): AsyncGenerator<LogLineView> {
    for await (const message of this.#stream(`${appPath(env, app)}/logs/stream${queryString(filter)}`, signal, follow)) {
      if (message.event === "line") yield parseJsonAs(logLineSchema, message.data, "a line of the API's log stream");
    }
  }

  // Feature flags (src/flags). `as` names the person until Rampart has identities (see docs/flags.md).
  async flags(env?: string): Promise<FlagView[]> {
    return (await this.#call<{ flags: FlagView[] }>("GET", `/api/v1/flags${queryString({ env })}`)).flags;
  }

  flag(key: string, env?: string): Promise<FlagView> {
    return this.#call("GET", `${flagPath(key)}${queryString({ env })}`);
  }

  createFlag(body: Partial<CreateFlagBody> & Pick<CreateFlagBody, "key">): Promise<FlagView> {
    return this.#call("POST", "/api/v1/flags", body);
  }

  setFlag(key: string, env: string, patch: Partial<EnvStatePatch>): Promise<ChangeResult> {
    return this.#call("PUT", `${flagPath(key)}/envs/${encodeURIComponent(env)}`, patch);
  }

  rolloutFlag(key: string, env: string, body: Partial<PercentRolloutBody> & Pick<PercentRolloutBody, "percentage">): Promise<ChangeResult> {
    return this.#call("POST", `${flagPath(key)}/envs/${encodeURIComponent(env)}/rollout`, body);
  }

  planFlag(key: string, env: string, body: Partial<PlanBody> & Pick<PlanBody, "steps" | "every">): Promise<ChangeResult> {
    return this.#call("POST", `${flagPath(key)}/envs/${encodeURIComponent(env)}/plan`, body);
  }

  controlFlagPlan(key: string, env: string, action: "pause" | "resume" | "stop", body: { reason?: string } = {}): Promise<ChangeResult> {
    return this.#call("POST", `${flagPath(key)}/envs/${encodeURIComponent(env)}/plan/${action}`, body);
  }

  killFlag(key: string, env: string, body: { reason?: string } = {}): Promise<ChangeResult> {
    return this.#call("POST", `${flagPath(key)}/envs/${encodeURIComponent(env)}/kill`, body);
  }

  evaluateFlag(key: string, env: string, context: Record<string, string | number | boolean | null>): Promise<EvaluationView> {
    return this.#call("POST", `${flagPath(key)}/envs/${encodeURIComponent(env)}/evaluate`, { context });
  }

  async flagHistory(key: string, options: { env?: string; limit?: number } = {}): Promise<RampartEvent[]> {
    return (await this.#call<{ events: RampartEvent[] }>("GET", `${flagPath(key)}/history${queryString(options)}`)).events;
  }

  async flagSegments(env: string): Promise<SegmentDefinition[]> {
    return (await this.#call<{ segments: SegmentDefinition[] }>("GET", `/api/v1/flag-segments/${encodeURIComponent(env)}`)).segments;
  }

  setFlagSegment(env: string, key: string, body: Partial<SegmentBody>): Promise<ChangeResult> {
    return this.#call("PUT", `/api/v1/flag-segments/${encodeURIComponent(env)}/${encodeURIComponent(key)}`, body);
  }

  deleteFlagSegment(env: string, key: string): Promise<ChangeResult> {
    return this.#call("DELETE", `/api/v1/flag-segments/${encodeURIComponent(env)}/${encodeURIComponent(key)}`);
  }

  async flagRequests(filter: { env?: string; status?: ChangeRequestView["status"] } = {}): Promise<ChangeRequestView[]> {
    return (await this.#call<{ requests: ChangeRequestView[] }>("GET", `/api/v1/flag-requests${queryString(filter)}`)).requests;
  }

  approveFlagChange(id: number): Promise<ChangeResult> {
    return this.#call("POST", `/api/v1/flag-requests/${id}/approve`, {});
  }

  rejectFlagChange(id: number, body: { reason?: string } = {}): Promise<ChangeRequestView> {
    return this.#call("POST", `/api/v1/flag-requests/${id}/reject`, body);
  }

  createSdkToken(env: string): Promise<{ token: string; env: string }> {
    return this.#call("POST", "/api/v1/flag-tokens", { env });
  }

  // Just-in-time access (src/access/access-request.*): who asks and who approves is the caller's identity.
  requestAccess(body: RequestBody): Promise<AccessRequestView> {
    return this.#call("POST", "/api/v1/access/requests", body);
  }

  async accessRequests(options: { all?: boolean; limit?: number } = {}): Promise<AccessRequestView[]> {
    const query = queryString({ all: options.all ? "true" : undefined, limit: options.limit });
    return (await this.#call<{ requests: AccessRequestView[] }>("GET", `/api/v1/access/requests${query}`)).requests;
  }

  accessRequest(id: number): Promise<AccessRequestView> {
    return this.#call("GET", `/api/v1/access/requests/${id}`);
  }

  /** `env` is the request's environment (the permission is checked there): accessRequest(id) tells it. */
  reviewAccessRequest(env: string, id: number, decision: "approve" | "deny", reason?: string): Promise<AccessRequestView> {
    return this.#call("POST", `/api/v1/envs/${encodeURIComponent(env)}/access/requests/${id}/${decision}`, { reason });
  }

  revokeAccessRequest(env: string, id: number): Promise<AccessRequestView> {
    return this.#call("POST", `/api/v1/envs/${encodeURIComponent(env)}/access/requests/${id}/revoke`);
  }

  breakGlass(body: BreakGlassBody): Promise<AccessRequestView> {
    return this.#call("POST", "/api/v1/access/break-glass", body);
  }

  async breakGlassReview(since?: number): Promise<AccessRequestView[]> {
    return (await this.#call<{ requests: AccessRequestView[] }>("GET", `/api/v1/access/break-glass${queryString({ since })}`)).requests;
  }

  // ── alerts (src/alerts): rule evaluation ──
  alerts(): Promise<{ alerts: AlertView[] }> {
    return this.#call("GET", "/api/v1/alerts");
  }

  alertRules(): Promise<RulesResponse> {
    return this.#call("GET", "/api/v1/alerts/rules");
  }

  putAlertRule(rule: RuleBody): Promise<{ rules: RuleView[] }> {
    return this.#call("POST", "/api/v1/alerts/rules", rule);
  }

  deleteAlertRule(name: string): Promise<{ deleted: string }> {
    return this.#call("DELETE", `/api/v1/alerts/rules/${encodeURIComponent(name)}`);
  }

  alertHistory(query: { since?: number; app?: string; env?: string; limit?: number } = {}): Promise<AlertHistory> {
    return this.#call("GET", `/api/v1/alerts/history${queryString(query)}`);
  }

  // Incidents, postmortems and the four keys (src/incidents).
  incidents(
    filter: { status?: "open" | "resolved" | "all"; env?: string; app?: string } = {},
  ): Promise<{ incidents: IncidentView[]; proposals: IncidentProposal[] }> {
    return this.#call("GET", `/api/v1/incidents${queryString(filter)}`);
  }

  openIncident(body: { title: string; severity: number; env?: string; app?: string }): Promise<IncidentView> {
    return this.#call("POST", "/api/v1/incidents", body);
  }

  incident(id: number): Promise<IncidentView> {
    return this.#call("GET", `/api/v1/incidents/${id}`);
  }

  async incidentTimeline(id: number): Promise<TimelineEntry[]> {
    return (await this.#call<{ timeline: TimelineEntry[] }>("GET", `/api/v1/incidents/${id}/timeline`)).timeline;
  }

  setIncidentStatus(id: number, status: IncidentStatus, message?: string): Promise<IncidentView> {
    return this.#call("POST", `/api/v1/incidents/${id}/status`, { status, message });
  }

  assignIncidentRole(id: number, role: IncidentRole, person: string): Promise<IncidentView> {
    return this.#call("POST", `/api/v1/incidents/${id}/roles`, { role, person });
  }

  noteIncident(id: number, text: string): Promise<RampartEvent> {
    return this.#call("POST", `/api/v1/incidents/${id}/notes`, { text });
  }

  postmortem(id: number): Promise<Postmortem> {
    return this.#call("GET", `/api/v1/incidents/${id}/postmortem`);
  }

  editPostmortem(id: number, edit: PostmortemEditRequest): Promise<Postmortem> {
    return this.#call("PUT", `/api/v1/incidents/${id}/postmortem`, edit);
  }

  completeActionItem(id: number, item: number): Promise<Postmortem> {
    return this.#call("POST", `/api/v1/incidents/${id}/postmortem/action-items/${item}/done`);
  }

  dora(query: { env?: string; app?: string; since?: string } = {}): Promise<DoraReport> {
    return this.#call("GET", `/api/v1/dora${queryString(query)}`);
  }

  /** Sends a source bundle (see releases/source-bundle.ts); the deploy then names the upload. */
  // Alert notification: silences and the delivery log.
  createSilence(body: CreateSilenceBody): Promise<SilenceViewBody> {
    return this.#call("POST", "/api/v1/silences", body);
  }

  async silences(all = false): Promise<SilenceViewBody[]> {
    return (await this.#call<{ silences: SilenceViewBody[] }>("GET", `/api/v1/silences${all ? "?all=true" : ""}`)).silences;
  }

  expireSilence(id: string): Promise<SilenceViewBody> {
    return this.#call("POST", `/api/v1/silences/${encodeURIComponent(id)}/expire`, {});
  }

  async alertDeliveries(filter: { kind?: string; limit?: number } = {}): Promise<Delivery[]> {
    return (await this.#call<{ deliveries: Delivery[] }>("GET", `/api/v1/alerts/deliveries${queryString(filter)}`)).deliveries;
  }

  // On-call (src/oncall): who, overrides, escalations, acknowledgement.
  oncallWho(at?: string): Promise<WhoView> {
    return this.#call("GET", `/api/v1/oncall/who${queryString({ at })}`);
  }

  createOverride(body: CreateOverrideBody): Promise<StoredOverride> {
    return this.#call("POST", "/api/v1/oncall/overrides", body);
  }

  async overrides(): Promise<StoredOverride[]> {
    return (await this.#call<{ overrides: StoredOverride[] }>("GET", "/api/v1/oncall/overrides")).overrides;
  }

  removeOverride(id: string): Promise<StoredOverride> {
    return this.#call("POST", `/api/v1/oncall/overrides/${encodeURIComponent(id)}/remove`, {});
  }

  async escalations(all = false): Promise<Escalation[]> {
    return (await this.#call<{ escalations: Escalation[] }>("GET", `/api/v1/oncall/escalations${all ? "?all=true" : ""}`)).escalations;
  }

  async ackAlert(ref: string, resolve = false): Promise<Escalation[]> {
    return (await this.#call<{ escalations: Escalation[] }>("POST", `/api/v1/alerts/${encodeURIComponent(ref)}/ack`, { resolve }))
      .escalations;
  }

  async uploadSource(gzip: Uint8Array, digest: string): Promise<UploadView> {
    const response = await this.#fetch("POST", "/api/v1/uploads", gzip, undefined, {
      "content-type": SOURCE_BUNDLE_TYPE,
      "x-rampart-artifact-digest": digest,
    });
    if (!response.ok) throw await this.#failed(response);
    return (await response.json()) as UploadView;
  }

  // The audit (src/audit).
  async audit(filter: { since?: number; actor?: string; type?: string; limit?: number } = {}): Promise<RampartEvent[]> {
    return (await this.#call<{ events: RampartEvent[] }>("GET", `/api/v1/audit${queryString(filter)}`)).events;
  }

  auditVerify(): Promise<VerifyView> {
    return this.#call("GET", "/api/v1/audit/verify");
  }

  // Secrets (src/secrets): names and versions everywhere, a value only from revealSecret.
  async secrets(env: string, app: string): Promise<SecretMeta[]> {
    return (await this.#call<{ secrets: SecretMeta[] }>("GET", `${appPath(env, app)}/secrets`)).secrets;
  }

  setSecret(env: string, app: string, name: string, value: string): Promise<SecretChange> {
    return this.#call("PUT", `${appPath(env, app)}/secrets/${encodeURIComponent(name)}`, { value });
  }

  unsetSecret(env: string, app: string, name: string): Promise<SecretChange> {
    return this.#call("DELETE", `${appPath(env, app)}/secrets/${encodeURIComponent(name)}`);
  }

  async secretHistory(env: string, app: string, name: string): Promise<SecretVersionView[]> {
    return (await this.#call<{ versions: SecretVersionView[] }>("GET", `${appPath(env, app)}/secrets/${encodeURIComponent(name)}/history`))
      .versions;
  }

  revealSecret(env: string, app: string, name: string, version?: number): Promise<{ name: string; version: number; value: string }> {
    return this.#call("POST", `${appPath(env, app)}/secrets/${encodeURIComponent(name)}/reveal`, { version });
  }

  secretsDiff(a: string, b: string, app?: string): Promise<SecretDiff> {
    return this.#call("GET", `/api/v1/secrets/diff${queryString({ a, b, app })}`);
  }

  rotateSecretsKey(): Promise<{ from: string; to: string; environments: string[] }> {
    return this.#call("POST", "/api/v1/secrets/rotate-key", {});
  }

  /** `rampart db query`: one read-only query against the app's declared database (permission db.query; audited). */
  dbQuery(env: string, app: string, db: string, body: { sql: string; limit?: number; timeout_ms?: number }): Promise<DbQueryResult> {
    return this.#call("POST", `${appPath(env, app)}/databases/${encodeURIComponent(db)}/query`, body);
  }

  // Identity (issue 12): users, roles, tokens, sessions.
  async users(): Promise<UserView[]> {
    return (await this.#call<{ users: UserView[] }>("GET", "/api/v1/users")).users;
  }

  addUser(body: AddUserBody): Promise<UserView> {
    return this.#call("POST", "/api/v1/users", body);
  }

  updateUser(name: string, body: UpdateUserBody): Promise<UserView> {
    return this.#call("PUT", `/api/v1/users/${encodeURIComponent(name)}`, body);
  }

  removeUser(name: string): Promise<{ removed: string }> {
    return this.#call("DELETE", `/api/v1/users/${encodeURIComponent(name)}`);
  }

  async roles(): Promise<GrantView[]> {
    return (await this.#call<{ grants: GrantView[] }>("GET", "/api/v1/roles")).grants;
  }

  async grantRole(body: GrantBody): Promise<GrantView[]> {
    return (await this.#call<{ grants: GrantView[] }>("POST", "/api/v1/roles", body)).grants;
  }

  async revokeRole(body: GrantBody): Promise<GrantView[]> {
    return (await this.#call<{ grants: GrantView[] }>("POST", "/api/v1/roles/revoke", body)).grants;
  }

  async tokens(): Promise<TokenView[]> {
    return (await this.#call<{ tokens: TokenView[] }>("GET", "/api/v1/tokens")).tokens;
  }

  /** The answer holds the secret: the only time it is shown. */
  createToken(body: CreateTokenBody): Promise<CreatedToken> {
    return this.#call("POST", "/api/v1/tokens", body);
  }

  /** A personal token for the caller (a person), acting with their roles. */
  createOwnToken(body: { name: string; expiresInMs?: number }): Promise<CreatedToken> {
    return this.#call("POST", "/api/v1/auth/tokens", body);
  }

  revokeToken(id: number): Promise<TokenView> {
    return this.#call("DELETE", `/api/v1/tokens/${id}`);
  }

  whoami(): Promise<WhoAmI> {
    return this.#call("GET", "/api/v1/auth/whoami");
  }

  /** A password login: the answer's token is a session (usable as a bearer token until it times out). */
  login(user: string, password: string): Promise<LoginResult> {
    return this.#call("POST", "/api/v1/auth/login", { user, password });
  }

  logout(): Promise<{ ended: boolean }> {
    return this.#call("POST", "/api/v1/auth/logout", {});
  }

  /** An OpenID Connect login for the CLI: the URL its user opens, and the poll id to collect the session with. */
  oidcCliStart(api: string): Promise<{ pollId: string; url: string }> {
    return this.#call("POST", "/api/v1/auth/oidc/cli", { api });
  }

  oidcCliPoll(pollId: string): Promise<{ status: "pending" } | { status: "done"; token: string; user: string; expiresAt: number }> {
    return this.#call("POST", "/api/v1/auth/oidc/cli/poll", { pollId });
  }

  // Synthetic checks and heartbeats (src/checks).
  async checks(filter: { env?: string; app?: string } = {}): Promise<CheckView[]> {
    return (await this.#call<{ checks: CheckView[] }>("GET", `/api/v1/checks${queryString(filter)}`)).checks;
  }

  heartbeat(env: string, app: string, name: string): Promise<CheckView> {
    return this.#call("POST", `/api/v1/heartbeats/${encodeURIComponent(env)}/${encodeURIComponent(app)}/${encodeURIComponent(name)}`);
  }

  /** The heartbeat's own ping URL (a job POSTs to it with no token); handing it out is recorded. */
  async heartbeatUrl(env: string, app: string, name: string): Promise<string> {
    const enc = encodeURIComponent;
    const { path } = await this.#call<{ path: string }>("POST", `/api/v1/heartbeats/${enc(env)}/${enc(app)}/${enc(name)}/url`);
    return `${this.baseUrl}${path}`;
  }

  // Backups (src/backup): taken by the control plane, then downloaded as a stream.
  createBackup(): Promise<BackupView> {
    return this.#call("POST", "/api/v1/backups", {});
  }

  backups(): Promise<{ dir: string; backups: BackupView[] }> {
    return this.#call("GET", "/api/v1/backups");
  }

  /** The archive's bytes as they arrive, and the sha256 the server announces for them. */
  async backupArchive(name: string): Promise<{ body: AsyncIterable<Uint8Array>; sha256: string | null }> {
    const response = await this.#fetch("GET", `/api/v1/backups/${encodeURIComponent(name)}`);
    if (!response.ok) throw await this.#failed(response);
    return { body: response.body ?? emptyBody(), sha256: response.headers.get("x-rampart-sha256") };
  }

  // Load tests (src/loadtest): the CLI drives the load, the platform records and compares the results.
  recordLoadTest(env: string, app: string, result: LoadResult, allowProduction: boolean): Promise<RecordedLoadTest> {
    return this.#call("POST", `${appPath(env, app)}/loadtests`, { result, allowProduction });
  }

  allowProductionLoadTest(env: string, app: string, body: { rate: number; durationMs: number }): Promise<{ allowed: true }> {
    return this.#call("POST", `${appPath(env, app)}/loadtests/allow-production`, body);
  }

  // Rollback drills (src/rollback-drills): run by the control plane, followed by the CLI.
  startRollbackDrill(env: string, app: string, body: { rate?: number }, allowProduction: boolean): Promise<RollbackDrill> {
    return this.#call("POST", `${appPath(env, app)}/drills/rollback${allowProduction ? "/protected" : ""}`, body);
  }

  rollbackDrill(env: string, app: string, id: string): Promise<RollbackDrill> {
    return this.#call("GET", `${appPath(env, app)}/drills/rollback/${encodeURIComponent(id)}`);
  }

  async rollbackDrills(env: string, app: string): Promise<RollbackDrill[]> {
    return (await this.#call<{ drills: RollbackDrill[] }>("GET", `${appPath(env, app)}/drills/rollback`)).drills;
  }

  // Plan, apply, export (src/plan): rampart.yaml against the running state.
  plan(): Promise<Plan> {
    return this.#call("GET", "/api/v1/plan");
  }

  apply(digest?: string): Promise<ApplyResult> {
    return this.#call("POST", "/api/v1/apply", digest === undefined ? {} : { digest });
  }

  async exportManifest(): Promise<string> {
    return (await this.#call<{ yaml: string }>("GET", "/api/v1/export")).yaml;
  }

  // Real-user monitoring (src/rum): per release, web-vital p75s and JS errors.
  rum(env: string, app: string, options: { since?: string } = {}): Promise<RumSummary> {
    return this.#call("GET", `${appPath(env, app)}/rum${queryString(options)}`);
  }

  // Flag experiments (src/flags/flag-experiment.*).
  flagResults(
    key: string,
    query: { env: string; metric?: string; control?: string; split?: string; alpha?: number; mde?: number; retention?: string },
  ): Promise<ExperimentResults> {
    return this.#call("GET", `${flagPath(key)}/results${queryString(query)}`);
  }

  // Parity (src/parity): two environments compared, every drift with its severity and whether it is allowed.
  parity(query: ParityQuery): Promise<ParityReport> {
    return this.#call("GET", `/api/v1/parity${queryString(query)}`);
  }

  // Readiness (src/readiness): the scorecard, and the audited override of the first protected deploy's gate.
  readiness(env: string, app: string): Promise<ReadinessReport> {
    return this.#call("GET", `${appPath(env, app)}/readiness`);
  }

  overrideReadiness(env: string, app: string, reason: string): Promise<OverrideView> {
    return this.#call("POST", `${appPath(env, app)}/readiness/override`, { reason });
  }

  /** The experiment's report (Markdown and the results behind it), as the weekly report writes it. */
  flagReport(key: string, query: { env: string; alpha?: number; mde?: number }): Promise<ExperimentReportView> {
    return this.#call("GET", `${flagPath(key)}/report${queryString(query)}`);
  }

  // Authentication at the edge (src/gateway): API keys (the key is in the create answer only) and the access log.
  createApiKey(env: string, app: string, name?: string): Promise<CreatedApiKey> {
    return this.#call("POST", `${appPath(env, app)}/api-keys`, name === undefined ? {} : { name });
  }

  async apiKeys(env: string, app: string): Promise<ApiKey[]> {
    return (await this.#call<{ apiKeys: ApiKey[] }>("GET", `${appPath(env, app)}/api-keys`)).apiKeys;
  }

  revokeApiKey(env: string, app: string, name: string): Promise<ApiKey> {
    return this.#call("DELETE", `${appPath(env, app)}/api-keys/${encodeURIComponent(name)}`);
  }

  async edgeLog(env: string, query: { since?: number; limit?: number; grep?: string } = {}): Promise<AccessLine[]> {
    return (await this.#call<{ entries: AccessLine[] }>("GET", `/api/v1/envs/${encodeURIComponent(env)}/edge-log${queryString(query)}`))
      .entries;
  }

  // The console's home (src/console): every app's health, the latest changes, alerts, incidents, on-call.
  overview(): Promise<Overview> {
    return this.#call("GET", "/api/v1/overview");
  }

  /** How one may log in (asked before logging in): a password always, OpenID Connect when configured. */
  authMethods(): Promise<{ password: true; oidc: boolean }> {
    return this.#call("GET", "/api/v1/auth/methods");
  }

  async *#stream(path: string, signal?: AbortSignal, follow?: FollowHooks) {
    const messages = follow
      ? followEvents({ ...follow, signal, open: (lastEventId, connection) => this.#openStream(path, connection, lastEventId, true) })
      : readEvents(await this.#openStream(path, signal));
    for await (const message of messages) {
      if (message.event === "error") throw streamError(message.data);
      yield message;
    }
  }

  /** GET of a text/event-stream; `resuming` asks `locate` for the API's address and refuses only for good. */
  async #openStream(path: string, signal?: AbortSignal, lastEventId?: string, resuming = false): Promise<AsyncIterable<Uint8Array>> {
    const baseUrl = resuming ? (this.#locate?.() ?? this.baseUrl).replace(/\/$/, "") : this.baseUrl;
    const headers: Record<string, string> = lastEventId === undefined ? {} : { "last-event-id": lastEventId };
    const response = await this.#fetch("GET", path, undefined, signal, headers, baseUrl);
    if (!response.ok) {
      const error = await this.#failed(response);
      // A 4xx (bad token, unknown app, bad filter) stays so however often it is asked; a 5xx or 503 at start-up may not.
      throw resuming && response.status < 500 && response.status !== 429 ? new StreamRefused(error) : error;
    }
    return response.body ?? emptyBody();
  }

  /** The API's error for a non-2xx answer; a 401 is told to `onUnauthorized` first. */
  async #failed(response: Response): Promise<ApiError> {
    const error = await toApiError(response);
    if (error.status === 401) this.#onUnauthorized?.(error);
    return error;
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#fetch(method, path, body);
    if (!response.ok) throw await this.#failed(response);
    return (await response.json()) as T;
  }

  async #fetch(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    extraHeaders: Record<string, string> = {},
    baseUrl = this.baseUrl,
  ): Promise<Response> {
    const headers: Record<string, string> =
      this.#token === "" ? { accept: "application/json" } : { authorization: `Bearer ${this.#token}`, accept: "application/json" };
    const raw = body instanceof Uint8Array;
    if (body !== undefined && !raw) headers["content-type"] = "application/json";
    try {
      return await this.#fetchImpl(`${baseUrl}${path}`, {
        method,
        headers: { ...headers, ...extraHeaders },
        body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      if (isUntrustedCertificate(error))
        throw new ApiError(0, "untrusted_certificate", `the API at ${baseUrl} presented a TLS certificate this CLI does not trust`);
      throw new ApiError(
        0,
        "unreachable",
        `cannot reach the Rampart API at ${baseUrl}`,
        "is `rampart up` running? (set --api or RAMPART_API if it listens elsewhere)",
      );
    }
  }
}

async function toApiError(response: Response): Promise<ApiError> {
  const text = await response.text();
  const parsed = errorEnvelopeSchema.safeParse(parseJson(text));
  if (!parsed.success) return new ApiError(response.status, "http_error", `HTTP ${response.status}: ${text.slice(0, 200)}`);
  const { code, message, hint, details } = parsed.data.error;
  // A code this client does not know (a newer server) keeps its message; the code is named in it.
  if (!isErrorCode(code)) return new ApiError(response.status, "http_error", `${message} (error code ${code})`, hint, details);
  return new ApiError(response.status, code, message, hint, details);
}

/** An SSE `error` event: the stream had already answered 200, so the status is the code's own. */
function streamError(data: string): ApiError {
  const parsed = errorBodySchema.safeParse(parseJson(data));
  if (!parsed.success) return new ApiError(500, "internal", `the event stream failed: ${data.slice(0, 200)}`);
  const { code, message, hint, details } = parsed.data;
  if (!isErrorCode(code)) return new ApiError(500, "internal", `${message} (error code ${code})`, hint, details);
  return new ApiError(errorCatalogue[code].status, code, message, hint, details);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

function flagPath(key: string): string {
  return `/api/v1/flags/${encodeURIComponent(key)}`;
}

function appPath(env: string, app: string): string {
  return `/api/v1/envs/${encodeURIComponent(env)}/apps/${encodeURIComponent(app)}`;
}

function queryString(params: object): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}
