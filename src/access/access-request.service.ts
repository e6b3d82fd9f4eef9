import { formatDuration } from "../config/units.ts";
import type { Emit, EventLog } from "../events/event-log.ts";
import type { Db } from "../db/database.ts";
import type { TimerClock } from "../shared/clock.ts";
import { RampartError } from "../shared/errors.ts";
import { logger } from "../shared/logger.ts";
import { type AccessPolicy, breakGlassStandingRoles, requestPolicyFor } from "./access-policy.schema.ts";
import { type AccessRequest, breakGlass, openRequest, review, revoke, stateAt } from "./access-request.ts";
import type { AccessRequestStore } from "./access-request.store.ts";
import type { AccessRequestView, BreakGlassBody, RequestBody } from "./access-request.types.ts";
import type { TimedGrantSource } from "./caller.ts";
import { type PrincipalKind, type Role, type RoleGrant, type TimedGrant, roles, rolePermissions } from "./permissions.ts";

/** Who someone is and which standing roles they hold (the identity store; `local` is root until then). */
export type StandingAccess = (actor: string) => Promise<{ kind: PrincipalKind; grants: readonly RoleGrant[] }>;

/** Before identities exist: the credentials file (`local`, or `admin` as routes called it) is root, nobody else holds a role. */
export const localOnlyStanding: StandingAccess = async (actor) => ({
  kind: actor === "local" || actor === "admin" ? "root" : actor.startsWith("svc:") ? "service" : "user",
  grants: [],
});

/**
 * Standing roles from the identity store's users (`users.get(name)`, throwing for an unknown name): what
 * `rampart up` passes once identities exist. A service token is never a person; `local` is root.
 */
export function standingFromUsers(users: { get(name: string): Promise<{ grants: readonly RoleGrant[] }> }): StandingAccess {
  return async (actor) => {
    if (actor === "local") return { kind: "root", grants: [] };
    if (actor.startsWith("svc:")) return { kind: "service", grants: [] };
    const user = await users.get(actor).catch(() => undefined);
    return { kind: "user", grants: user?.grants ?? [] };
  };
}

export type GrantEnded = { name: string; role: Role; env: string; requestId: number };

export interface AccessRequestDeps {
  db: Db;
  store: AccessRequestStore;
  events: EventLog;
  clock: TimerClock;
  policy: () => AccessPolicy;
  standing: StandingAccess;
  /** Throws a 404 naming the environments when `env` is not in rampart.yaml. */
  assertEnvironment: (env: string) => void;
  /**
   * Ends the user's console sessions in the transaction of a grant taking effect (ADR 12: a new session id on every
   * privilege change, as a role grant does); returns how many ended. None given: sessions are left as they are.
   */
  endSessions?: (trx: Db, user: string, reason: string) => Promise<number>;
}

/** How often the expiry timer looks at least: a grant ends within this (plus one write) of its time. */
const TICK_MS = 250;

/**
 * Just-in-time access: persists the pure transitions of access-request.ts with their events in one transaction,
 * keeps the open requests in memory (activeGrants is read at every API request, synchronously), and ends grants
 * and unanswered requests on time with a timer on the injected clock.
 */
export class AccessRequestService implements TimedGrantSource {
  readonly #deps: AccessRequestDeps;
  /** Pending and approved requests, by id: what the timer watches and activeGrants reads. */
  readonly #open = new Map<number, AccessRequest>();
  readonly #listeners = new Set<(ended: GrantEnded) => void>();
  #running: Promise<void> | null = null;
  #stopping = false;

  constructor(deps: AccessRequestDeps) {
    this.#deps = deps;
  }

  async load(): Promise<void> {
    for (const request of await this.#deps.store.open()) this.#open.set(request.id, request);
  }

  // TimedGrantSource
  activeGrants(principal: { kind: PrincipalKind; name: string }, now: number): TimedGrant[] {
    if (principal.kind !== "user") return [];
    const grants: TimedGrant[] = [];
    for (const r of this.#open.values()) {
      if (r.requester !== principal.name || stateAt(r, now) !== "approved" || r.until === null) continue;
      grants.push({ role: r.role, env: r.env, until: r.until, requestId: r.id });
    }
    return grants;
  }

  onGrantEnded(listener: (ended: GrantEnded) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async request(actor: string, body: RequestBody): Promise<AccessRequestView> {
    this.#deps.assertEnvironment(body.env);
    await this.#assertPerson(actor, "ask for access");
    const policy = requestPolicyFor(this.#deps.policy(), body.env);
    const created = await this.#deps.events.transact(async (trx, emit) => {
      const now = this.#deps.clock.now();
      const id = await this.#deps.store.nextId(trx);
      const request = openRequest(
        { id, requester: actor, role: body.role, env: body.env, durationMs: body.durationMs, reason: body.reason, now },
        policy,
      );
      await this.#deps.store.insert(trx, request);
      await emit({
        type: "access.requested",
        env: request.env,
        actor,
        message: `${actor} asks for ${request.role} in ${request.env} for ${formatDuration(request.durationMs)}: ${request.reason}`,
        data: {
          id,
          requester: actor,
          role: request.role,
          durationMs: request.durationMs,
          reason: request.reason,
          pendingUntil: request.pendingUntil,
        },
      });
      return request;
    });
    this.#open.set(created.id, created);
    return this.#view(created);
  }

  async decide(actor: string, id: number, decision: "approve" | "deny", reason: string, env?: string): Promise<AccessRequestView> {
    const who = await this.#deps.standing(actor);
    const changed = await this.#deps.events.transact(async (trx, emit) => {
      const current = await this.#getOrThrow(id, trx);
      if (env !== undefined && current.env !== env)
        throw new RampartError("not_found", `access request ${id} is for ${current.env}, not ${env}`, {
          hint: `rampart access approve ${id}`,
        });
      const now = this.#deps.clock.now();
      const policy = requestPolicyFor(this.#deps.policy(), current.env);
      const reviewerRoles = rolesIn(who, current.env);
      const next = review(current, { reviewer: actor, reviewerRoles, decision, reason, now }, policy);
      await this.#deps.store.update(trx, next);
      const approvals = next.reviews.filter((r) => r.decision === "approve").length;
      const why = reason.trim() === "" ? "" : `: ${reason.trim()}`;
      const base = {
        env: next.env,
        actor,
        data: { id, requester: next.requester, role: next.role, approvals, approvalsNeeded: policy.approvals },
      };
      if (decision === "deny") {
        await emit({ ...base, type: "access.denied", message: `${actor} denied ${next.requester}'s request ${id} for ${next.role}${why}` });
      } else {
        await emit({
          ...base,
          type: "access.approved",
          message: `${actor} approved ${next.requester}'s request ${id} for ${next.role} (${approvals} of ${policy.approvals})${why}`,
        });
        if (next.state === "approved") await this.#emitGranted(trx, emit, next);
      }
      return next;
    });
    this.#remember(changed);
    return this.#view(changed);
  }

  async revoke(actor: string, id: number, env?: string): Promise<AccessRequestView> {
    const who = await this.#deps.standing(actor);
    const { before, after } = await this.#deps.events.transact(async (trx, emit) => {
      const current = await this.#getOrThrow(id, trx);
      if (env !== undefined && current.env !== env)
        throw new RampartError("not_found", `access request ${id} is for ${current.env}, not ${env}`, {
          hint: `rampart access revoke ${id}`,
        });
      if (actor !== current.requester && !this.#mayOversee(actor, who, current.env))
        throw new RampartError("forbidden", `only ${current.requester} or an approver of ${current.env} may revoke access request ${id}`, {
          hint: "rampart access list shows your own requests",
        });
      const now = this.#deps.clock.now();
      const next = revoke(current, actor, now);
      await this.#deps.store.update(trx, next);
      await emit({
        type: "access.revoked",
        env: next.env,
        actor,
        message: `${actor} revoked ${current.requester}'s ${stateAt(current, now)} request ${id} for ${next.role} in ${next.env}`,
        data: { id, requester: next.requester, role: next.role, was: stateAt(current, now), breakGlass: next.breakGlass },
      });
      return { before: current, after: next };
    });
    this.#open.delete(id);
    if (before.state === "approved") this.#ended(after);
    return this.#view(after);
  }

  async breakGlass(actor: string, body: BreakGlassBody): Promise<AccessRequestView> {
    this.#deps.assertEnvironment(body.env);
    await this.#assertPerson(actor, "break the glass");
    const who = await this.#deps.standing(actor);
    const held = rolesIn(who, body.env);
    if (!held.some((r) => breakGlassStandingRoles.includes(r)))
      throw new RampartError(
        "forbidden",
        `break-glass in ${body.env} needs a standing role of developer or above there; ${actor} holds ${held.join(", ") || "none"}`,
        {
          hint: `ask for access instead: rampart access request --role operator --env ${body.env} --for 1h --reason "…"`,
        },
      );
    const policy = this.#deps.policy().breakGlass;
    const created = await this.#deps.events.transact(async (trx, emit) => {
      const now = this.#deps.clock.now();
      const id = await this.#deps.store.nextId(trx);
      const request = breakGlass(
        { id, requester: actor, env: body.env, reason: body.reason, durationMs: body.durationMs ?? null, now },
        policy,
      );
      await this.#deps.store.insert(trx, request);
      await emit({
        type: "access.break_glass",
        env: request.env,
        actor,
        message: `BREAK-GLASS: ${actor} took ${request.role} in ${request.env} for ${formatDuration(request.durationMs)} without approval: ${request.reason}`,
        // The alerting issue pages on critical events.
        data: { level: "critical", id, requester: actor, role: request.role, until: request.until, reason: request.reason },
      });
      await this.#emitGranted(trx, emit, request);
      return request;
    });
    this.#open.set(created.id, created);
    return this.#view(created);
  }

  async get(actor: string, id: number): Promise<AccessRequestView> {
    const request = await this.#getOrThrow(id);
    const who = await this.#deps.standing(actor);
    if (request.requester !== actor && !this.#mayOversee(actor, who, request.env))
      throw new RampartError("forbidden", `access request ${id} is ${request.requester}'s; only they and its approvers may see it`, {
        hint: "rampart access list shows your own requests",
      });
    return this.#view(request);
  }

  /** Own requests, and those the caller may review; `all` (approvers only) every one. */
  async list(actor: string, options: { all?: boolean; limit?: number } = {}): Promise<AccessRequestView[]> {
    const who = await this.#deps.standing(actor);
    const approverSomewhere = this.#isApprover(actor, who);
    if (options.all) {
      if (!approverSomewhere)
        throw new RampartError("forbidden", `${actor} may not list everyone's access requests: that takes access.approve`, {
          hint: "rampart access list (without --all) shows your own",
        });
      return (await this.#deps.store.list({ limit: options.limit })).map((r) => this.#view(r));
    }
    const own = await this.#deps.store.list({ requester: actor, limit: options.limit });
    const now = this.#deps.clock.now();
    const toReview = approverSomewhere
      ? [...this.#open.values()].filter(
          (r) => r.requester !== actor && stateAt(r, now) === "pending" && this.#mayApprove(actor, who, r.env),
        )
      : [];
    return [...own, ...toReview].sort((a, b) => b.id - a.id).map((r) => this.#view(r));
  }

  /** Break-glass grants, newest first, for the review afterwards. */
  async reviewList(since?: number): Promise<AccessRequestView[]> {
    return (await this.#deps.store.list({ breakGlass: true, since })).map((r) => this.#view(r));
  }

  /** Ends every grant and pending request whose time is up, each with its event. The timer calls it. */
  async tick(): Promise<number> {
    const now = this.#deps.clock.now();
    let expired = 0;
    for (const request of [...this.#open.values()]) {
      if (stateAt(request, now) !== "expired") continue;
      const done = await this.#deps.events.transact(async (trx, emit) => {
        const current = await this.#deps.store.get(request.id, trx);
        // Decided on the fresh record: one approved just before its pending TTL must not be expired by a stale copy.
        if (current === undefined || stateAt(current, now) !== "expired" || (current.state !== "pending" && current.state !== "approved"))
          return { next: current, was: null };
        const was = current.state;
        const next: AccessRequest = { ...current, state: "expired" };
        await this.#deps.store.update(trx, next);
        const at = was === "approved" ? (current.until ?? now) : current.pendingUntil;
        await emit({
          type: "access.expired",
          env: next.env,
          actor: "rampart",
          message:
            was === "approved"
              ? `${next.requester}'s ${next.role} in ${next.env} ended (request ${next.id}${next.breakGlass ? ", break-glass" : ""})`
              : `${next.requester}'s request ${next.id} for ${next.role} in ${next.env} expired unanswered`,
          data: { id: next.id, requester: next.requester, role: next.role, was, due: at, lateMs: now - at },
        });
        return { next, was };
      });
      if (done.was === null) {
        if (done.next === undefined) this.#open.delete(request.id);
        else this.#remember(done.next);
        continue;
      }
      this.#open.delete(request.id);
      if (done.was === "approved") this.#ended(done.next);
      expired += 1;
    }
    return expired;
  }

  /** Runs the expiry timer until `stop`. */
  start(): void {
    this.#stopping = false;
    this.#running ??= this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#running;
    this.#running = null;
  }

  async #loop(): Promise<void> {
    const { clock } = this.#deps;
    while (!this.#stopping) {
      let failed = false;
      try {
        await this.tick();
      } catch (error) {
        failed = true;
        logger.warn({ err: error }, "access: expiring requests failed; retrying");
      }
      const next = this.#nextDeadline();
      // Sleep to the next deadline, but never longer than TICK_MS: a grant approved meanwhile may end sooner.
      const wait = failed ? TICK_MS : Math.max(1, Math.min(TICK_MS, next - clock.now()));
      await clock.sleep(wait);
    }
  }

  #nextDeadline(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const r of this.#open.values()) next = Math.min(next, r.state === "approved" ? (r.until ?? next) : r.pendingUntil);
    return next;
  }

  async #emitGranted(trx: Db, emit: Emit, r: AccessRequest): Promise<void> {
    const reason = `your access request ${r.id} was granted (${r.role} in ${r.env} until ${new Date(r.until ?? 0).toISOString()}): a new session carries it`;
    const sessionsEnded = (await this.#deps.endSessions?.(trx, r.requester, reason)) ?? 0;
    await emit({
      type: "access.granted",
      env: r.env,
      actor: r.breakGlass ? r.requester : (r.reviews.at(-1)?.by ?? "rampart"),
      message: `${r.requester} holds ${r.role} in ${r.env} until ${new Date(r.until ?? 0).toISOString()} (request ${r.id}${r.breakGlass ? ", break-glass" : ""})`,
      data: {
        id: r.id,
        requester: r.requester,
        role: r.role,
        until: r.until,
        breakGlass: r.breakGlass,
        approvers: r.reviews.map((x) => x.by),
        sessionsEnded,
      },
    });
  }

  #remember(r: AccessRequest): void {
    if (r.state === "pending" || r.state === "approved") this.#open.set(r.id, r);
    else this.#open.delete(r.id);
  }

  #ended(r: AccessRequest): void {
    const ended = { name: r.requester, role: r.role, env: r.env, requestId: r.id };
    for (const listener of this.#listeners) {
      try {
        listener(ended);
      } catch (error) {
        // One failing listener (a closed stream) must not keep the others from hearing.
        logger.warn({ err: error }, "access: a grant-ended listener failed");
      }
    }
  }

  async #getOrThrow(id: number, db?: Db): Promise<AccessRequest> {
    const request = await this.#deps.store.get(id, db);
    if (request === undefined)
      throw new RampartError("not_found", `access request ${id} not found`, { hint: "rampart access list shows yours" });
    return request;
  }

  async #assertPerson(actor: string, what: string): Promise<void> {
    const who = await this.#deps.standing(actor);
    if (who.kind === "service")
      throw new RampartError("forbidden", `a service token (${actor}) cannot ${what}: just-in-time access is for people`, {
        hint: "give the token the role it needs: rampart token create --role ROLE --env ENV",
      });
  }

  /** Whether the policy of `env` names this person as an approver (by role or by name). */
  #mayApprove(actor: string, who: Awaited<ReturnType<StandingAccess>>, env: string): boolean {
    const policy = requestPolicyFor(this.#deps.policy(), env);
    return policy.approverUsers.includes(actor) || rolesIn(who, env).some((r) => policy.approverRoles.includes(r));
  }

  /** Who may see and revoke someone else's request: its approvers, and the credentials file (it holds the machine). */
  #mayOversee(actor: string, who: Awaited<ReturnType<StandingAccess>>, env: string): boolean {
    return who.kind === "root" || this.#mayApprove(actor, who, env);
  }

  /** Whether the person may approve anywhere: named by some policy, or holding access.approve. */
  #isApprover(actor: string, who: Awaited<ReturnType<StandingAccess>>): boolean {
    if (who.kind === "root") return true;
    const policy = this.#deps.policy();
    if (Object.values(policy.requests).some((p) => p.approverUsers.includes(actor))) return true;
    return who.grants.some((g) => rolePermissions[g.role].includes("access.approve"));
  }

  #view(r: AccessRequest): AccessRequestView {
    const policy = requestPolicyFor(this.#deps.policy(), r.env);
    return { ...r, state: stateAt(r, this.#deps.clock.now()), approvalsNeeded: r.breakGlass ? 0 : policy.approvals };
  }
}

/** The roles someone holds in `env` (there or in every environment); root holds every role. */
function rolesIn(who: { kind: PrincipalKind; grants: readonly RoleGrant[] }, env: string): Role[] {
  if (who.kind === "root") return [...roles];
  return who.grants.filter((g) => g.env === env || g.env === "*").map((g) => g.role);
}
