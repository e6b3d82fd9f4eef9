import { type Command, InvalidArgumentError } from "commander";
import { ago, clientFor, type GlobalOptions, printJson, printTable } from "../cli/cli-context.ts";
import { parseDuration } from "../config/units.ts";
import { RampartError } from "../shared/errors.ts";
import { envText } from "./identity.service.ts";
import type { TokenView } from "./identity.types.ts";
import { type Role, roles } from "./permissions.ts";

const FIVE_YEARS_MS = 5 * 365 * 86_400_000;

/** `rampart user …`, `rampart role …`, `rampart token …` and `rampart whoami`. */
export function registerIdentityCommands(program: Command, globals: () => GlobalOptions): void {
  const opts = <T extends object>(options: T) => ({ ...globals(), ...options });

  const user = program.command("user").description("people who log in: add, list, remove");
  user
    .command("add <name>")
    .description("add a user (with --password-stdin a password login; without, OpenID Connect only)")
    .option("--email <email>", "their e-mail address")
    .option("--password-stdin", "read the password from stdin (at least 12 characters)")
    .option("--json", "print JSON")
    .action(async (name: string, options: GlobalOptions & { email?: string; passwordStdin?: boolean }) => {
      const o = opts(options);
      const password = options.passwordStdin ? await readPassword() : undefined;
      const added = await clientFor(o).addUser({ name, email: options.email, password });
      if (o.json) return printJson(added);
      process.stdout.write(`user ${added.name} added${added.hasPassword ? "" : " (no password: OpenID Connect login only)"}\n`);
      process.stdout.write(`give them a role: rampart role grant ${added.name} developer --env staging\n`);
    });
  user
    .command("list")
    .description("every user with their standing roles")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions) => {
      const o = opts(options);
      const users = await clientFor(o).users();
      if (o.json) return printJson({ users });
      printTable(
        ["NAME", "EMAIL", "LOGIN", "ROLES"],
        users.map((u) => [u.name, u.email ?? "-", u.source === "oidc" ? "oidc" : u.hasPassword ? "password" : "-", grantsText(u.grants)]),
      );
    });
  user
    .command("remove <name>")
    .description("remove a user: roles go, personal tokens are revoked, sessions end")
    .option("--json", "print JSON")
    .action(async (name: string, options: GlobalOptions) => {
      const o = opts(options);
      const removed = await clientFor(o).removeUser(name);
      if (o.json) return printJson(removed);
      process.stdout.write(`user ${name} removed; their tokens are revoked and their sessions ended\n`);
    });

  const role = program.command("role").description("standing roles per environment: grant, revoke, list");
  for (const action of ["grant", "revoke"] as const) {
    role
      .command(`${action} <user> <role>`)
      .description(action === "grant" ? "give a user a role in an environment (* for every one)" : "take a role away from a user")
      .requiredOption("--env <env>", "the environment, or * for every one")
      .option("--json", "print JSON")
      .action(async (name: string, roleName: string, options: GlobalOptions & { env: string }) => {
        const o = opts(options);
        const body = { user: name, role: roleOf(roleName), env: options.env };
        const client = clientFor(o);
        const grants = action === "grant" ? await client.grantRole(body) : await client.revokeRole(body);
        if (o.json) return printJson({ grants });
        const verb = action === "grant" ? "is now" : "is no longer";
        process.stdout.write(`${name} ${verb} ${body.role} in ${envText(body.env)} (their console sessions end: log in again)\n`);
      });
  }
  role
    .command("list")
    .description("every standing role grant, of users and service tokens")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions) => {
      const o = opts(options);
      const grants = await clientFor(o).roles();
      if (o.json) return printJson({ grants });
      printTable(
        ["WHO", "ROLE", "ENV", "GRANTED BY"],
        grants.map((g) => [g.subject, g.role, g.env, g.createdBy]),
      );
    });

  const token = program.command("token").description("personal and service tokens: create, list, revoke");
  token
    .command("create")
    .description("a service token (--role/--env, for CI), a personal token for a user (--user), or without either your own; printed once")
    .requiredOption("--name <name>", "what it is for, e.g. ci or laptop")
    .option("--role <role>", "a service token's role (repeat with --env, paired in order)", collect, [])
    .option("--env <env>", "the environment of each --role (or * for every one)", collect, [])
    .option("--app <app>", "limit a service token to this app (repeatable)", collect, [])
    .option("--user <user>", "a personal token for this user, acting with their roles")
    .option("--expires <duration>", "lifetime, e.g. 30d or 12h", "90d")
    .option("--json", "print JSON")
    .action(
      async (options: GlobalOptions & { name: string; role: string[]; env: string[]; app: string[]; user?: string; expires: string }) => {
        const o = opts(options);
        const expires = parseDuration(options.expires, { maxMs: FIVE_YEARS_MS });
        if (!expires.ok) throw new RampartError("invalid_option", `--expires: ${expires.message}`, { hint: "e.g. --expires 90d" });
        // Neither --user nor --role: the caller's own personal token.
        const own = options.user === undefined && options.role.length + options.env.length + options.app.length === 0;
        const client = clientFor(o);
        const created = own
          ? await client.createOwnToken({ name: options.name, expiresInMs: expires.value })
          : await client.createToken({
              name: options.name,
              user: options.user,
              grants: options.user === undefined ? pairGrants(options.role, options.env) : undefined,
              apps: options.app.length > 0 ? options.app : undefined,
              expiresInMs: expires.value,
            });
        if (o.json) return printJson(created);
        const v = created.view;
        process.stdout.write(`${created.token}\n\n`);
        process.stdout.write(`token ${v.name} (id ${v.id}) acts as ${v.actor}, expires ${new Date(v.expiresAt ?? 0).toISOString()}\n`);
        process.stdout.write("It will not be shown again: store it now. Use it with:\n");
        process.stdout.write(`  RAMPART_TOKEN=${created.token} RAMPART_API=… rampart status\n`);
      },
    );
  token
    .command("list")
    .description("every token (never the secret), with its last use")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions) => {
      const o = opts(options);
      const tokens = await clientFor(o).tokens();
      if (o.json) return printJson({ tokens });
      printTable(
        ["ID", "NAME", "ACTS AS", "ROLES", "STATE", "LAST USED", "TOKEN"],
        tokens.map((t) => [
          String(t.id),
          t.name,
          t.actor,
          t.kind === "pat" ? "(owner's)" : grantsText(t.grants),
          stateOf(t),
          lastUse(t),
          t.hint,
        ]),
      );
    });
  token
    .command("revoke <id>")
    .description("revoke a token: refused from the next request on")
    .option("--json", "print JSON")
    .action(async (id: string, options: GlobalOptions) => {
      const o = opts(options);
      if (!/^\d+$/.test(id)) throw new InvalidArgumentError("expected the token's id (rampart token list shows it).");
      const revoked = await clientFor(o).revokeToken(Number(id));
      if (o.json) return printJson(revoked);
      process.stdout.write(`token ${revoked.name} (id ${revoked.id}) revoked\n`);
    });

  program
    .command("whoami")
    .description("who the API sees: actor, roles (standing and just in time), token, expiry")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions) => {
      const o = opts(options);
      const me = await clientFor(o).whoami();
      if (o.json) return printJson(me);
      const via =
        me.via === "local"
          ? "the data dir's credentials file (full access)"
          : me.via === "session"
            ? "a console session"
            : `token ${me.token}`;
      process.stdout.write(`${me.actor} (${me.kind}) via ${via}\n`);
      if (me.kind !== "root") process.stdout.write(`roles: ${grantsText(me.grants) || "none"}\n`);
      for (const t of me.timed)
        process.stdout.write(`just in time: ${t.role} in ${t.env} until ${new Date(t.until).toISOString()} (request ${t.requestId})\n`);
      if (me.apps) process.stdout.write(`apps: ${me.apps.join(", ")}\n`);
      if (me.expiresAt !== null) process.stdout.write(`expires: ${new Date(me.expiresAt).toISOString()}\n`);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function roleOf(value: string): Role {
  const found = roles.find((r) => r === value);
  if (!found) throw new RampartError("invalid_option", `${JSON.stringify(value)} is not a role`, { hint: `one of ${roles.join(", ")}` });
  return found;
}

/** `--role deployer --env staging --env production`: one role for every env, or roles and envs paired in order. */
export function pairGrants(roleNames: string[], envs: string[]): Array<{ role: Role; env: string }> {
  if (roleNames.length === 0 || envs.length === 0)
    throw new RampartError("invalid_option", "a service token needs --role ROLE --env ENV (or --user NAME for a personal token)", {
      hint: "rampart token create --name ci --role deployer --env production",
    });
  if (roleNames.length === 1) return envs.map((env) => ({ role: roleOf(roleNames[0] ?? ""), env }));
  if (roleNames.length !== envs.length)
    throw new RampartError("invalid_option", `${roleNames.length} --role but ${envs.length} --env: give one --env per --role`, {
      hint: "rampart token create --name ci --role deployer --env production --role viewer --env staging",
    });
  return roleNames.map((r, i) => ({ role: roleOf(r), env: envs[i] ?? "" }));
}

function grantsText(grants: Array<{ role: string; env: string }>): string {
  return grants.map((g) => `${g.role}@${g.env}`).join(", ");
}

function stateOf(t: TokenView): string {
  if (t.revokedAt !== null) return "revoked";
  if (t.expiresAt !== null && t.expiresAt <= Date.now()) return "expired";
  return t.expiresAt === null ? "active" : `until ${new Date(t.expiresAt).toISOString().slice(0, 10)}`;
}

function lastUse(t: TokenView): string {
  return t.lastUsedAt === null ? "never" : `${ago(t.lastUsedAt)} from ${t.lastUsedFrom ?? "?"}`;
}

/** The password as piped in, without the trailing newline `echo` adds. */
async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}
