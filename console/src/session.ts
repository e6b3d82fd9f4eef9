import type { WhoAmI } from "../../src/access/identity.types.ts";
import { grantCommand } from "../../src/access/authorize.ts";
import { decide, type Permission, permissionMeaning, rolesGranting } from "../../src/access/permissions.ts";

/** Who is logged in, and which environments are protected (standing access there stops at reading). */
export interface Session {
  who: WhoAmI;
  protectedEnvs: ReadonlySet<string>;
}

export type Permit = { allowed: true } | { allowed: false; why: string; command: string };

/**
 * The API's own decision (src/access/permissions.ts), taken in the browser so that a button the user may not use
 * is disabled before it is pressed, with the reason and the command that gets access. The API decides again.
 */
export function permit(session: Session, permission: Permission, env: string | null, app: string | null = null): Permit {
  const { who } = session;
  const principal = { kind: who.kind, name: who.actor, grants: who.grants, timed: who.timed, apps: who.apps };
  const answer = decide(principal, {
    permission,
    env,
    app,
    isProtected: env !== null && session.protectedEnvs.has(env),
    now: Date.now(),
  });
  if (answer.allowed) return { allowed: true };
  return {
    allowed: false,
    why: `${who.actor} lacks ${permission}${env === null ? "" : ` in ${env}`} (${permissionMeaning[permission]}): ${answer.via}; roles granting it: ${rolesGranting(permission).join(", ")}`,
    command: grantCommand(who.actor, permission, env),
  };
}
