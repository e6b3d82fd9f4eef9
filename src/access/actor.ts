import type { Principal } from "./permissions.ts";

/** The actor string events and audit records carry (caller.ts): a name, `svc:NAME` for a service token, `local`. */
export function actorOf(principal: Principal): string {
  if (principal.kind === "root") return "local";
  return principal.kind === "service" ? `svc:${principal.name}` : principal.name;
}
