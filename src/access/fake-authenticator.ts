import { RampartError } from "../shared/errors.ts";
import { actorOf } from "./actor.ts";
import type { Authenticator, Caller, CallerCredentials } from "./caller.ts";
import type { Principal } from "./permissions.ts";

/**
 * An Authenticator for tests: the bearer token is a name, and the name maps to its principal. Anything else
 * (no header, another scheme, an unknown name) is a 401, as the real one answers.
 */
export class FakeAuthenticator implements Authenticator {
  readonly #principals: Map<string, Principal>;

  constructor(principals: Iterable<[string, Principal]> = []) {
    this.#principals = new Map(principals);
  }

  set(token: string, principal: Principal): void {
    this.#principals.set(token, principal);
  }

  delete(token: string): void {
    this.#principals.delete(token);
  }

  async authenticate(credentials: CallerCredentials): Promise<Caller> {
    const header = credentials.authorization ?? "";
    const principal = header.startsWith("Bearer ") ? this.#principals.get(header.slice(7)) : undefined;
    if (!principal) throw new RampartError("unauthorized", "missing or unknown bearer token (fake authenticator)");
    return { principal, actor: actorOf(principal), via: principal.kind === "root" ? "local" : "token" };
  }
}
