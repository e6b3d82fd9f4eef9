import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { conflict, notFound, RampartError } from "../shared/errors.ts";
import type { ExternalUsers } from "./caller.ts";
import type { AddUserBody, GrantView, UpdateUserBody, UserView } from "./identity.types.ts";
import type { IdentityStore, UserRow } from "./identity.store.ts";
import { hashPassword, passwordProblem } from "./password.ts";
import type { RoleGrant } from "./permissions.ts";

/**
 * Users and their standing roles. Every change commits with its event; no password or hash is ever in one. A
 * change of a user's roles ends the user's sessions (OWASP: a new session id on every privilege change), so the
 * console logs in again and acts with the new roles.
 */
export class IdentityService implements ExternalUsers {
  readonly #store: IdentityStore;
  readonly #events: EventLog;
  readonly #clock: Clock;

  constructor(deps: { store: IdentityStore; events: EventLog; clock: Clock }) {
    this.#store = deps.store;
    this.#events = deps.events;
    this.#clock = deps.clock;
  }

  async list(): Promise<UserView[]> {
    const users = await this.#store.users();
    return Promise.all(users.map((u) => this.#view(u)));
  }

  async get(name: string): Promise<UserView> {
    return this.#view(await this.#existing(name));
  }

  async add(body: AddUserBody, actor: string): Promise<UserView> {
    const hash = body.password === undefined ? null : await checkedHash(body.password);
    const at = this.#clock.now();
    await this.#events.transact(async (trx, emit) => {
      if (await this.#store.user(body.name, trx)) throw conflict("user_exists", `a user named ${body.name} already exists`);
      await this.#store.insertUser(trx, {
        name: body.name,
        email: body.email ?? null,
        password_hash: hash,
        source: "local",
        created_at: at,
        created_by: actor,
      });
      await emit({
        type: "user.added",
        actor,
        message: `user ${body.name} added${body.password === undefined ? " (no password yet)" : ""}`,
        data: { user: body.name, email: body.email ?? null, source: "local" },
      });
    });
    return this.get(body.name);
  }

  /** A new e-mail address or password (a password change ends the user's sessions). */
  async update(name: string, body: UpdateUserBody, actor: string): Promise<UserView> {
    const hash = typeof body.password === "string" ? await checkedHash(body.password) : body.password;
    await this.#events.transact(async (trx, emit) => {
      if (!(await this.#store.user(name, trx))) throw notFound(`user ${name}`, "rampart user list shows the users");
      const change = { ...(body.email !== undefined && { email: body.email }), ...(hash !== undefined && { password_hash: hash }) };
      if (Object.keys(change).length === 0) return;
      await this.#store.updateUser(trx, name, change);
      const sessions =
        hash === undefined
          ? 0
          : await this.#store.deleteSessionsOf(trx, name, {
              reason: `your password was ${hash === null ? "removed" : "changed"} by ${actor}`,
              at: this.#clock.now(),
            });
      const what = [
        body.email !== undefined && "e-mail",
        hash !== undefined && (hash === null ? "password removed" : "password changed"),
      ].filter(Boolean);
      await emit({
        type: "user.updated",
        actor,
        message: `user ${name}: ${what.join(", ")}`,
        data: { user: name, email: body.email, passwordChanged: hash !== undefined, sessionsEnded: sessions },
      });
    });
    return this.get(name);
  }

  /** Removes the user with their roles, revokes their personal tokens and ends their sessions. */
  async remove(name: string, actor: string): Promise<void> {
    const at = this.#clock.now();
    await this.#events.transact(async (trx, emit) => {
      if (!(await this.#store.user(name, trx))) throw notFound(`user ${name}`, "rampart user list shows the users");
      const tokens = await this.#store.revokeTokensOf(trx, name, at, actor);
      const sessions = await this.#store.deleteSessionsOf(trx, name, { reason: `your user was removed by ${actor}`, at });
      await this.#store.deleteUser(trx, name);
      await emit({
        type: "user.removed",
        actor,
        message: `user ${name} removed (${tokens} token(s) revoked, ${sessions} session(s) ended)`,
        data: { user: name, tokens, sessions },
      });
    });
  }

  async grant(user: string, grant: RoleGrant, actor: string): Promise<GrantView[]> {
    await this.#events.transact(async (trx, emit) => {
      if (!(await this.#store.user(user, trx))) throw notFound(`user ${user}`, "add the user first: rampart user add NAME");
      if (!(await this.#store.addGrant(trx, { kind: "user", name: user }, grant, this.#clock.now(), actor))) return;
      const sessions = await this.#store.deleteSessionsOf(trx, user, {
        reason: `${actor} made you ${grant.role} in ${envText(grant.env)}: a new session carries the new role`,
        at: this.#clock.now(),
      });
      await emit({
        type: "role.granted",
        actor,
        message: `${user} is now ${grant.role} in ${envText(grant.env)}`,
        data: { user, ...grant, sessionsEnded: sessions },
      });
    });
    return this.grants();
  }

  async revoke(user: string, grant: RoleGrant, actor: string): Promise<GrantView[]> {
    await this.#events.transact(async (trx, emit) => {
      if (!(await this.#store.removeGrant(trx, { kind: "user", name: user }, grant)))
        throw notFound(`role ${grant.role} in ${envText(grant.env)} for ${user}`, "rampart role list shows the grants");
      const sessions = await this.#store.deleteSessionsOf(trx, user, {
        reason: `${actor} revoked your role ${grant.role} in ${envText(grant.env)}`,
        at: this.#clock.now(),
      });
      await emit({
        type: "role.revoked",
        actor,
        message: `${user} is no longer ${grant.role} in ${envText(grant.env)}`,
        data: { user, ...grant, sessionsEnded: sessions },
      });
    });
    return this.grants();
  }

  async grants(): Promise<GrantView[]> {
    const tokens = new Map((await this.#store.tokens()).map((t) => [String(t.id), t]));
    const views: GrantView[] = [];
    for (const g of await this.#store.allGrants()) {
      const token = g.subject_kind === "service" ? tokens.get(g.subject) : undefined;
      if (g.subject_kind === "service" && (!token || token.revoked_at !== null)) continue;
      views.push({
        subject: token ? `svc:${token.name}` : g.subject,
        kind: token ? "service" : "user",
        role: g.role as RoleGrant["role"],
        env: g.env,
        createdAt: g.created_at,
        createdBy: g.created_by,
      });
    }
    return views;
  }

  /** OIDC: the user exists afterwards with exactly these standing grants (the provider's groups decide). */
  async upsertExternalUser(user: { name: string; email: string | null; grants: RoleGrant[] }, actor: string): Promise<void> {
    const at = this.#clock.now();
    await this.#events.transact(async (trx, emit) => {
      const existing = await this.#store.user(user.name, trx);
      if (!existing)
        await this.#store.insertUser(trx, {
          name: user.name,
          email: user.email,
          password_hash: null,
          source: "oidc",
          created_at: at,
          created_by: actor,
        });
      else if (existing.email !== user.email) await this.#store.updateUser(trx, user.name, { email: user.email });
      const subject = { kind: "user" as const, name: user.name };
      const before = await this.#store.grants(subject, trx);
      const key = (g: RoleGrant) => `${g.role}@${g.env}`;
      const wanted = new Set(user.grants.map(key));
      const had = new Set(before.map(key));
      const removed = before.filter((g) => !wanted.has(key(g)));
      const added = user.grants.filter((g) => !had.has(key(g)));
      for (const g of removed) await this.#store.removeGrant(trx, subject, g);
      for (const g of added) await this.#store.addGrant(trx, subject, g, at, actor);
      if (existing && removed.length + added.length > 0)
        await this.#store.deleteSessionsOf(trx, user.name, { reason: "your roles at the identity provider changed", at });
      await emit({
        type: existing ? "user.updated" : "user.added",
        actor,
        message: `user ${user.name} ${existing ? "updated" : "added"} from the identity provider`,
        data: { user: user.name, email: user.email, source: "oidc", grants: user.grants, added, removed },
      });
    });
  }

  async #existing(name: string): Promise<UserRow> {
    const user = await this.#store.user(name);
    if (!user) throw notFound(`user ${name}`, "rampart user list shows the users");
    return user;
  }

  async #view(user: UserRow): Promise<UserView> {
    return {
      name: user.name,
      email: user.email,
      source: user.source === "oidc" ? "oidc" : "local",
      hasPassword: user.password_hash !== null,
      createdAt: user.created_at,
      createdBy: user.created_by,
      grants: await this.#store.grants({ kind: "user", name: user.name }),
    };
  }
}

async function checkedHash(password: string): Promise<string> {
  const problem = passwordProblem(password);
  if (problem)
    throw new RampartError("invalid_request", `the password is too weak: ${problem}`, {
      details: [{ field: "body.password", message: problem }],
      hint: "choose a longer passphrase (12 characters or more)",
    });
  return hashPassword(password);
}

export function envText(env: string): string {
  return env === "*" ? "every environment" : env;
}
