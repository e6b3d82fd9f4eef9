import type { AuditedRequest, RequestAuditor } from "../access/caller.ts";
import type { EventLog } from "../events/event-log.ts";
import type { ErrorCode } from "../shared/error-catalogue.ts";

/** Attempts whose outcome has not come yet; more than this means outcomes are not being reported (a bug), so the oldest go. */
const MAX_OPEN_ATTEMPTS = 10_000;

type Phase = "attempt" | "outcome" | "denied";

/**
 * Every request that changes or reveals something, as `audit.request` events in the hash-chained log: the
 * attempt before the handler runs, its outcome after, and denials. Only the route, the path and the caller are
 * recorded, never the query string or the body (they may hold secrets). Fail-closed: when the attempt cannot be
 * written, `attempt` throws and the API refuses the request (a storage error: 503 read-only, 507 full).
 */
export class EventRequestAuditor implements RequestAuditor {
  readonly #events: EventLog;
  readonly #open = new Map<number, AuditedRequest>();

  constructor(events: EventLog) {
    this.#events = events;
  }

  async attempt(request: AuditedRequest): Promise<number> {
    const clean = withoutQuery(request);
    const event = await this.#append("attempt", clean, null, null);
    this.#open.set(event.id, clean);
    if (this.#open.size > MAX_OPEN_ATTEMPTS) {
      const oldest = this.#open.keys().next();
      if (!oldest.done) this.#open.delete(oldest.value);
    }
    return event.id;
  }

  async outcome(attemptId: number, result: { status: number; error: ErrorCode | null }): Promise<void> {
    const request = this.#open.get(attemptId);
    this.#open.delete(attemptId);
    await this.#append("outcome", request ?? unknownRequest, result, attemptId);
  }

  async denied(request: AuditedRequest, result: { status: number; error: ErrorCode }): Promise<void> {
    await this.#append("denied", withoutQuery(request), result, null);
  }

  #append(phase: Phase, request: AuditedRequest, result: { status: number; error: ErrorCode | null } | null, attemptId: number | null) {
    const what = `${request.method} ${request.path}`;
    const message =
      phase === "attempt"
        ? `${request.actor} from ${request.address}: ${what}`
        : phase === "denied"
          ? `${request.actor} from ${request.address}: ${what} denied (${result?.status} ${result?.error})`
          : `${what}: ${result?.status}${result?.error ? ` ${result.error}` : ""} (attempt ${attemptId})`;
    return this.#events.append({
      type: "audit.request",
      actor: request.actor,
      env: request.env ?? undefined,
      app: request.app ?? undefined,
      message,
      data: {
        phase,
        address: request.address,
        method: request.method,
        route: request.route,
        path: request.path,
        permission: request.permission,
        status: result?.status ?? null,
        error: result?.error ?? null,
        attemptId,
      },
    });
  }
}

/** An outcome whose attempt this process does not remember (it restarted in between): recorded all the same. */
const unknownRequest: AuditedRequest = {
  actor: "unknown",
  address: "unknown",
  method: "unknown",
  route: "unknown",
  path: "unknown",
  permission: null,
  env: null,
  app: null,
};

/** The path without a query string or fragment, whatever the caller passed: a query may carry a secret. */
function withoutQuery(request: AuditedRequest): AuditedRequest {
  const cut = (s: string) => s.split(/[?#]/, 1)[0] ?? "";
  return { ...request, path: cut(request.path), route: cut(request.route) };
}
