import { RampartError } from "../shared/errors.ts";
import type { EnvironmentProtection, TimedGrantSource } from "./caller.ts";
import {
  type AccessAnswer,
  decide,
  type Permission,
  type Principal,
  permissionMeaning,
  type Role,
  platformPermissions,
  rolesGranting,
} from "./permissions.ts";

/** Where a permission is asked for: one environment (and app), or none (grants in every environment count). */
export interface AccessTarget {
  permission: Permission;
  env: string | null;
  app: string | null;
  /**
   * Allowed when the permission is held in at least one environment: for requests that prepare something an
   * environment-scoped route then checks (a source upload is only used by a deploy, checked per environment).
   */
  anyEnvironment?: boolean;
}

/** Standing grants plus the just-in-time grants in force now (the source is read at every check). */
export function withTimedGrants(principal: Principal, grants: TimedGrantSource | undefined, now: number): Principal {
  if (!grants || principal.kind === "root") return principal;
  const active = grants.activeGrants({ kind: principal.kind, name: principal.name }, now);
  return active.length === 0 ? principal : { ...principal, timed: [...principal.timed, ...active] };
}

export function decideTarget(principal: Principal, target: AccessTarget, protection: EnvironmentProtection, now: number): AccessAnswer {
  const ask = (env: string | null) =>
    decide(principal, {
      permission: target.permission,
      env,
      app: target.app,
      isProtected: env !== null && protection.isProtected(env),
      now,
    });
  if (!target.anyEnvironment) return ask(target.env);
  const everywhere = ask(null);
  if (everywhere.allowed) return everywhere;
  const envs = new Set([...principal.grants.map((g) => g.env), ...principal.timed.map((t) => t.env)].filter((e) => e !== "*"));
  for (const env of envs) {
    const answer = ask(env);
    if (answer.allowed) return answer;
  }
  return { allowed: false, via: "no role in any environment grants it" };
}

/**
 * The command that would give the caller the permission: a just-in-time request for the least role granting it in
 * that environment, or (for platform permissions and routes without an environment) a standing grant in every
 * environment, which only an admin can give.
 */
export function grantCommand(
  principalName: string,
  permission: Permission,
  env: string | null,
  requestable?: readonly Role[],
  kind: Principal["kind"] = "user",
): string {
  const granting = rolesGranting(permission);
  // A service token neither asks for access nor gets roles: its grants are fixed when it is made, so the way to
  // the permission is another token, made by an admin.
  if (kind === "service") {
    const role = granting.find((r) => r !== "admin") ?? granting[0] ?? "admin";
    const name = principalName.replace(/^svc:/, "");
    return `ask an admin for a token that has it: rampart token create --name ${name} --role ${role} --env ${env === null || platformPermissions.has(permission) ? "'*'" : env}`;
  }
  // The least role granting it that the policy lets be requested there: a command that is then refused helps nobody.
  const role = (env === null ? undefined : granting.find((r) => requestable?.includes(r) ?? true)) ?? granting[0] ?? "admin";
  if (env === null || platformPermissions.has(permission))
    return `ask an admin to run: rampart role grant ${principalName} ${role} --env '*'`;
  return `rampart access request --role ${role} --env ${env} --for 1h --reason "…"`;
}

/** The 403: the missing permission, how the answer came about, the roles granting it and the command to get it. */
export function forbidden(principal: Principal, target: AccessTarget, answer: AccessAnswer, requestable?: readonly Role[]): RampartError {
  const where = target.anyEnvironment
    ? " in any environment"
    : target.env === null || platformPermissions.has(target.permission)
      ? " in every environment"
      : ` in ${target.env}`;
  const app = target.app ? ` for app ${target.app}` : "";
  const command = grantCommand(principal.name, target.permission, target.anyEnvironment ? null : target.env, requestable, principal.kind);
  return new RampartError(
    "forbidden",
    `${principal.name} lacks permission ${target.permission}${where}${app} (${permissionMeaning[target.permission]}): ${answer.via}; ` +
      `roles granting it: ${rolesGranting(target.permission).join(", ")}; to get it: ${command}`,
    { hint: command, details: { permission: target.permission, env: target.env, app: target.app, via: answer.via } },
  );
}
