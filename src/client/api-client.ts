import type { RampartEvent } from "../events/event.types.ts";
import type { PlatformStatus } from "../platform/status.types.ts";
import type { DeployBody, PromoteBody, ReleaseView, RollbackBody } from "../releases/release.types.ts";
import type { RolloutAction, RolloutView } from "../releases/rollout.view.ts";
import type { LogLineView } from "../runtime/log.routes.ts";
import type { TraceSummaryView, TraceView } from "../telemetry/trace.routes.ts";
import type { MetricsQueryResult, MetricsSummary } from "../telemetry/metrics.view.ts";
import type { CreateFlagBody, EnvStatePatch, PercentRolloutBody, PlanBody, SegmentBody } from "../flags/flag.types.ts";
import type { ChangeRequestView, ChangeResult, EvaluationView, FlagView } from "../flags/flag.view.ts";
import type { SegmentDefinition } from "../../packages/sdk/src/flag-data.ts";
import { SOURCE_BUNDLE_TYPE, type UploadView } from "../releases/source-bundle.types.ts";
import { readSse } from "./sse-reader.ts";

/** A non-2xx answer of the API, carrying its error code and hint. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, hint?: string, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.hint = hint;
    this.details = details;
  }
}

export interface EventFilter {
  since?: number;
  afterId?: number;
  env?: string;
  app?: string;
  type?: string;
  limit?: number;
}

export interface LogFilter {
  since?: number;
  until?: number;
  grep?: string;
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

  constructor(options: { baseUrl: string; token: string }) {
    this.baseUrl = options.baseUrl.replace(/\/$/, "");
    this.#token = options.token;
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

  shutdown(stopApps: boolean): Promise<{ ok: true; stopApps: boolean }> {
    return this.#call("POST", "/api/v1/shutdown", { stopApps });
  }

  async *streamEvents(filter: Omit<EventFilter, "since" | "limit">, signal?: AbortSignal): AsyncGenerator<RampartEvent> {
    for await (const message of this.#stream(`/api/v1/events/stream${queryString(filter)}`, signal)) {
      if (message.event === "event") yield JSON.parse(message.data) as RampartEvent;
    }
  }

  async *streamLogs(
    env: string,
    app: string,
    filter: Pick<LogFilter, "grep" | "release" | "level" | "instance">,
    signal?: AbortSignal,
  ): AsyncGenerator<LogLineView> {
    for await (const message of this.#stream(`${appPath(env, app)}/logs/stream${queryString(filter)}`, signal)) {
      if (message.event === "line") yield JSON.parse(message.data) as LogLineView;
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

  controlFlagPlan(
    key: string,
    env: string,
    action: "pause" | "resume" | "stop",
    body: { as?: string; reason?: string } = {},
  ): Promise<ChangeResult> {
    return this.#call("POST", `${flagPath(key)}/envs/${encodeURIComponent(env)}/plan/${action}`, body);
  }

  killFlag(key: string, env: string, body: { as?: string; reason?: string } = {}): Promise<ChangeResult> {
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

  deleteFlagSegment(env: string, key: string, as?: string): Promise<ChangeResult> {
    return this.#call("DELETE", `/api/v1/flag-segments/${encodeURIComponent(env)}/${encodeURIComponent(key)}${queryString({ as })}`);
  }

  async flagRequests(filter: { env?: string; status?: ChangeRequestView["status"] } = {}): Promise<ChangeRequestView[]> {
    return (await this.#call<{ requests: ChangeRequestView[] }>("GET", `/api/v1/flag-requests${queryString(filter)}`)).requests;
  }

  approveFlagChange(id: number, as?: string): Promise<ChangeResult> {
    return this.#call("POST", `/api/v1/flag-requests/${id}/approve`, { as });
  }

  rejectFlagChange(id: number, body: { as?: string; reason?: string } = {}): Promise<ChangeRequestView> {
    return this.#call("POST", `/api/v1/flag-requests/${id}/reject`, body);
  }

  createSdkToken(env: string, as?: string): Promise<{ token: string; env: string }> {
    return this.#call("POST", "/api/v1/flag-tokens", { env, as });
  }

  /** Sends a source bundle (see releases/source-bundle.ts); the deploy then names the upload. */
  async uploadSource(gzip: Uint8Array, digest: string): Promise<UploadView> {
    const response = await this.#fetch("POST", "/api/v1/uploads", gzip, undefined, {
      "content-type": SOURCE_BUNDLE_TYPE,
      "x-rampart-artifact-digest": digest,
    });
    if (!response.ok) throw await toApiError(response);
    return (await response.json()) as UploadView;
  }

  async *#stream(path: string, signal?: AbortSignal) {
    const response = await this.#fetch("GET", path, undefined, signal);
    if (!response.ok) throw await toApiError(response);
    if (!response.body) return;
    for await (const message of readSse(response.body)) {
      if (message.event === "error") {
        const error = JSON.parse(message.data) as { code: string; message: string };
        throw new ApiError(500, error.code, error.message);
      }
      yield message;
    }
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#fetch(method, path, body);
    if (!response.ok) throw await toApiError(response);
    return (await response.json()) as T;
  }

  async #fetch(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    extraHeaders: Record<string, string> = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept: "application/json" };
    const raw = body instanceof Uint8Array;
    if (body !== undefined && !raw) headers["content-type"] = "application/json";
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { ...headers, ...extraHeaders },
        body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiError(
        0,
        "unreachable",
        `cannot reach the Rampart API at ${this.baseUrl}`,
        "is `rampart up` running? (set --api or RAMPART_API if it listens elsewhere)",
      );
    }
  }
}

async function toApiError(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string; hint?: string; details?: unknown } };
    return new ApiError(response.status, error.code, error.message, error.hint, error.details);
  } catch {
    return new ApiError(response.status, "http_error", `HTTP ${response.status}: ${text.slice(0, 200)}`);
  }
}

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
