import { RampartError } from "../shared/errors.ts";
import type { ExternalUsers, SessionIssuer } from "./caller.ts";

/**
 * Stands in for the identity module's users and sessions (issue 12) in the composition root until that module is
 * composed there: OIDC login then stops after the provider's answer was checked, with a message saying why, rather
 * than creating users or sessions nothing else would know. Replace with identity's SessionIssuer/ExternalUsers.
 */
export const identityPending: SessionIssuer & ExternalUsers = {
  async startSession() {
    throw notYet();
  },
  async upsertExternalUser() {
    throw notYet();
  },
};

function notYet(): RampartError {
  return new RampartError("oidc_not_configured", "this build has no user store to log OpenID Connect users in to", {
    hint: "log in with a token (rampart login URL --token-stdin) until users and sessions are part of this build",
  });
}
