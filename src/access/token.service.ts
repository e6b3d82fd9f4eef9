import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { conflict, notFound, RampartError } from "../shared/errors.ts";
import { envText } from "./identity.service.ts";
import type { IdentityStore, TokenRow } from "./identity.store.ts";
import type { CreatedToken, CreateTokenBody, TokenView } from "./identity.types.ts";
import type { RoleGrant } from "./permissions.ts";
import { issueSecret } from "./token-secret.ts";

export const DEFAULT_TOKEN_LIFETIME_MS = 90 * 86_400_000;

/**
 * Personal tokens (act as their owner, with the owner's roles) and service tokens (act as `svc:NAME`, with their
 * own roles and optionally only some apps). The secret is returned once; only its SHA-256 is stored.
 */
export class TokenService {
  readonly #store: IdentityStore;
  readonly #events: EventLog;
  readonly #clock: Clock;

  constructor(deps: { store: IdentityStore; events: EventLog; clock: Clock }) {
    this.#store = deps.store;
    this.#events = deps.events;
    this.#clock = deps.clock;
  }

  async create(body: CreateTokenBody, actor: string): Promise<CreatedToken> {
    const personal = body.user !== undefined;
    const grants = body.grants ?? [];
    if (personal && (grants.length > 0 || body.apps !== undefined))
      throw new RampartError(
        "invalid_request",
        "a personal token acts with its owner's roles: give either --user or --role/--env, not both",
        {
          details: [{ field: "body.grants", message: "not allowed with user" }],
        },
      );
    if (!personal && grants.length === 0)
      throw new RampartError("invalid_request", "a service token needs at least one role: --role ROLE --env ENV", {
        details: [{ field: "body.grants", message: "at least one grant" }],
        hint: "rampart token create --name ci --role deployer --env production",
      });
    const issued = issueSecret(personal ? "pat" : "svc");
    const at = this.#clock.now();
    const expiresAt = at + (body.expiresInMs ?? DEFAULT_TOKEN_LIFETIME_MS);
    const id = await this.#events.transact(async (trx, emit) => {
      if (body.user !== undefined && !(await this.#store.user(body.user, trx)))
        throw notFound(`user ${body.user}`, "rampart user list shows the users");
      if (await this.#store.activeTokenNamed(body.name, body.user ?? null, trx))
        throw conflict(
          "token_exists",
          `a token named ${body.name} is already in force${personal ? ` for ${body.user}` : ""}`,
          "pick another --name, or revoke the old one: rampart token revoke ID",
        );
      const id = await this.#store.insertToken(trx, {
        name: body.name,
        kind: personal ? "pat" : "svc",
        owner: body.user ?? null,
        sha256: issued.hash,
        hint: issued.hint,
        apps: body.apps ? JSON.stringify(body.apps) : null,
        created_at: at,
        created_by: actor,
        expires_at: expiresAt,
      });
      for (const g of grants) await this.#store.addGrant(trx, { kind: "service", tokenId: id }, g, at, actor);
      const who = personal ? `personal token ${body.name} for ${body.user}` : `service token svc:${body.name} (${grantsText(grants)})`;
      await emit({
        type: "token.created",
        actor,
        message: `${who} created, expires ${new Date(expiresAt).toISOString()}`,
        // The hint names the token in listings; it is a prefix of the secret too short to be worth anything.
        data: { id, name: body.name, kind: personal ? "pat" : "svc", owner: body.user ?? null, grants, apps: body.apps ?? null, expiresAt },
      });
      return id;
    });
    return { token: issued.secret, view: await this.get(id) };
  }

  async list(): Promise<TokenView[]> {
    const rows = await this.#store.tokens();
    return Promise.all(rows.map((row) => this.#view(row, row.last_at, row.last_address)));
  }

  async get(id: number): Promise<TokenView> {
    const row = (await this.#store.tokens()).find((t) => t.id === id);
    if (!row) throw notFound(`token ${id}`, "rampart token list shows the tokens");
    return this.#view(row, row.last_at, row.last_address);
  }

  async revoke(id: number, actor: string): Promise<TokenView> {
    await this.#events.transact(async (trx, emit) => {
      const token = await this.#store.token(id, trx);
      if (!token) throw notFound(`token ${id}`, "rampart token list shows the tokens");
      if (token.revoked_at !== null)
        throw conflict("token_revoked", `token ${id} (${token.name}) is already revoked`, "rampart token list shows the tokens in force");
      await this.#store.revokeToken(trx, id, this.#clock.now(), actor);
      await emit({
        type: "token.revoked",
        actor,
        message: `token ${token.name} (${id}) revoked`,
        data: { id, name: token.name, kind: token.kind, owner: token.owner },
      });
    });
    return this.get(id);
  }

  async #view(row: TokenRow, lastAt: number | null, lastFrom: string | null): Promise<TokenView> {
    const kind = row.kind === "pat" ? "pat" : "svc";
    return {
      id: row.id,
      name: row.name,
      kind,
      actor: kind === "pat" ? (row.owner ?? "") : `svc:${row.name}`,
      hint: row.hint,
      grants: kind === "svc" ? await this.#store.grants({ kind: "service", tokenId: row.id }) : [],
      apps: row.apps === null ? null : parseApps(row.apps),
      createdAt: row.created_at,
      createdBy: row.created_by,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      lastUsedAt: lastAt,
      lastUsedFrom: lastFrom,
    };
  }
}

export function parseApps(json: string): string[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.filter((a): a is string => typeof a === "string") : [];
}

function grantsText(grants: RoleGrant[]): string {
  return grants.map((g) => `${g.role} in ${envText(g.env)}`).join(", ");
}
