import type { Selectable } from "kysely";
import type { Db } from "../db/database.ts";
import { identityDb, type IdentityTables } from "./identity-tables.ts";
import type { Role, RoleGrant } from "./permissions.ts";

export type UserRow = Selectable<IdentityTables["users"]>;
export type TokenRow = Selectable<IdentityTables["tokens"]>;
export type SessionRow = Selectable<IdentityTables["sessions"]> & { lastSeenAt: number };
export type GrantSubject = { kind: "user"; name: string } | { kind: "service"; tokenId: number };
export type GrantRow = Selectable<IdentityTables["role_grants"]>;
/** Why and when a user's sessions were ended on purpose; `reason` is said to the session's holder. */
export interface SessionEnding {
  reason: string;
  at: number;
}
const SESSION_ENDING_KEPT_MS = 7 * 86_400_000;

function subjectKey(subject: GrantSubject): { subject_kind: string; subject: string } {
  return subject.kind === "user"
    ? { subject_kind: "user", subject: subject.name }
    : { subject_kind: "service", subject: String(subject.tokenId) };
}

/** Users, grants, tokens and sessions. Writes take the transaction they share with their event. */
export class IdentityStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  user(name: string, db: Db = this.#db): Promise<UserRow | undefined> {
    return identityDb(db).selectFrom("users").selectAll().where("name", "=", name).executeTakeFirst();
  }

  users(): Promise<UserRow[]> {
    return identityDb(this.#db).selectFrom("users").selectAll().orderBy("name").execute();
  }

  async insertUser(trx: Db, row: UserRow): Promise<void> {
    await identityDb(trx).insertInto("users").values(row).execute();
  }

  async updateUser(trx: Db, name: string, change: Partial<Pick<UserRow, "email" | "password_hash" | "source">>): Promise<void> {
    await identityDb(trx).updateTable("users").set(change).where("name", "=", name).execute();
  }

  async deleteUser(trx: Db, name: string): Promise<void> {
    await identityDb(trx).deleteFrom("role_grants").where("subject_kind", "=", "user").where("subject", "=", name).execute();
    await identityDb(trx).deleteFrom("users").where("name", "=", name).execute();
  }

  async grants(subject: GrantSubject, db: Db = this.#db): Promise<RoleGrant[]> {
    const key = subjectKey(subject);
    const rows = await identityDb(db)
      .selectFrom("role_grants")
      .select(["role", "env"])
      .where("subject_kind", "=", key.subject_kind)
      .where("subject", "=", key.subject)
      .orderBy("env")
      .orderBy("role")
      .execute();
    return rows.map((r) => ({ role: r.role as Role, env: r.env }));
  }

  allGrants(): Promise<GrantRow[]> {
    return identityDb(this.#db).selectFrom("role_grants").selectAll().orderBy("subject_kind").orderBy("subject").orderBy("env").execute();
  }

  /** True when the grant was added (false: it was already there). */
  async addGrant(trx: Db, subject: GrantSubject, grant: RoleGrant, at: number, by: string): Promise<boolean> {
    const result = await identityDb(trx)
      .insertInto("role_grants")
      .values({ ...subjectKey(subject), role: grant.role, env: grant.env, created_at: at, created_by: by })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async removeGrant(trx: Db, subject: GrantSubject, grant: RoleGrant): Promise<boolean> {
    const key = subjectKey(subject);
    const result = await identityDb(trx)
      .deleteFrom("role_grants")
      .where("subject_kind", "=", key.subject_kind)
      .where("subject", "=", key.subject)
      .where("role", "=", grant.role)
      .where("env", "=", grant.env)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async removeGrants(trx: Db, subject: GrantSubject): Promise<void> {
    const key = subjectKey(subject);
    await identityDb(trx)
      .deleteFrom("role_grants")
      .where("subject_kind", "=", key.subject_kind)
      .where("subject", "=", key.subject)
      .execute();
  }

  tokenByHash(sha256: string): Promise<TokenRow | undefined> {
    return identityDb(this.#db).selectFrom("tokens").selectAll().where("sha256", "=", sha256).executeTakeFirst();
  }

  token(id: number, db: Db = this.#db): Promise<TokenRow | undefined> {
    return identityDb(db).selectFrom("tokens").selectAll().where("id", "=", id).executeTakeFirst();
  }

  tokens(): Promise<Array<TokenRow & { last_at: number | null; last_address: string | null }>> {
    return identityDb(this.#db)
      .selectFrom("tokens")
      .leftJoin("token_last_use", "token_last_use.token_id", "tokens.id")
      .selectAll("tokens")
      .select(["token_last_use.at as last_at", "token_last_use.address as last_address"])
      .orderBy("tokens.id")
      .execute();
  }

  /** Tokens in force with this name (and owner, for personal tokens): names are unique among them. */
  async activeTokenNamed(name: string, owner: string | null, db: Db = this.#db): Promise<TokenRow | undefined> {
    let query = identityDb(db).selectFrom("tokens").selectAll().where("name", "=", name).where("revoked_at", "is", null);
    query = owner === null ? query.where("kind", "=", "svc") : query.where("kind", "=", "pat").where("owner", "=", owner);
    return query.executeTakeFirst();
  }

  async insertToken(trx: Db, row: Omit<TokenRow, "id" | "revoked_at" | "revoked_by">): Promise<number> {
    const { id } = await identityDb(trx).insertInto("tokens").values(row).returning("id").executeTakeFirstOrThrow();
    return id;
  }

  async revokeToken(trx: Db, id: number, at: number, by: string): Promise<void> {
    await identityDb(trx).updateTable("tokens").set({ revoked_at: at, revoked_by: by }).where("id", "=", id).execute();
  }

  async revokeTokensOf(trx: Db, owner: string, at: number, by: string): Promise<number> {
    const result = await identityDb(trx)
      .updateTable("tokens")
      .set({ revoked_at: at, revoked_by: by })
      .where("owner", "=", owner)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Bookkeeping, no event: one row per token, overwritten on each use. */
  async touchToken(id: number, at: number, address: string): Promise<void> {
    await identityDb(this.#db)
      .insertInto("token_last_use")
      .values({ token_id: id, at, address })
      .onConflict((oc) => oc.column("token_id").doUpdateSet({ at, address }))
      .execute();
  }

  async session(sha256: string, db: Db = this.#db): Promise<SessionRow | undefined> {
    const row = await identityDb(db)
      .selectFrom("sessions")
      .leftJoin("session_last_seen", "session_last_seen.sha256", "sessions.sha256")
      .selectAll("sessions")
      .select("session_last_seen.at as last_seen")
      .where("sessions.sha256", "=", sha256)
      .executeTakeFirst();
    if (!row) return undefined;
    const { last_seen, ...session } = row;
    return { ...session, lastSeenAt: last_seen ?? session.created_at };
  }

  async insertSession(trx: Db, row: Selectable<IdentityTables["sessions"]>): Promise<void> {
    await identityDb(trx).insertInto("sessions").values(row).execute();
  }

  async deleteSession(trx: Db, sha256: string): Promise<boolean> {
    await identityDb(trx).deleteFrom("session_last_seen").where("sha256", "=", sha256).execute();
    const result = await identityDb(trx).deleteFrom("sessions").where("sha256", "=", sha256).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * Ends every session of the user, keeping why (`ending`) a week by each one's hash, so the next request with one
   * is told why it ended; endings older than that go in the same write.
   */
  async deleteSessionsOf(trx: Db, user: string, ending: SessionEnding): Promise<number> {
    const tables = identityDb(trx);
    const hashes = await tables.selectFrom("sessions").select("sha256").where("user", "=", user).execute();
    await tables
      .deleteFrom("session_endings")
      .where("at", "<", ending.at - SESSION_ENDING_KEPT_MS)
      .execute();
    for (const { sha256 } of hashes) {
      await this.deleteSession(trx, sha256);
      await tables
        .insertInto("session_endings")
        .values({ sha256, user, reason: ending.reason, at: ending.at })
        .onConflict((oc) => oc.column("sha256").doUpdateSet({ reason: ending.reason, at: ending.at }))
        .execute();
    }
    return hashes.length;
  }

  /** Why the session with this hash was ended on purpose, if it was within the last week. */
  sessionEnding(sha256: string): Promise<SessionEnding | undefined> {
    return identityDb(this.#db).selectFrom("session_endings").select(["reason", "at"]).where("sha256", "=", sha256).executeTakeFirst();
  }

  /** Bookkeeping, no event: when the session was last used, for the idle timeout. */
  async touchSession(sha256: string, at: number): Promise<void> {
    await identityDb(this.#db)
      .insertInto("session_last_seen")
      .values({ sha256, at })
      .onConflict((oc) => oc.column("sha256").doUpdateSet({ at }))
      .execute();
  }
}
