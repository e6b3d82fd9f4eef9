import { z } from "zod";
import { roles } from "./permissions.ts";

/** The resolved `access.oidc` of rampart.yaml (see oidc.schema.ts for the file's shape). */
export const oidcSettingsSchema = z.object({
  issuer: z.string(),
  clientId: z.string(),
  /** The name of the environment variable holding the client secret (the secret itself is never in the manifest). */
  clientSecretEnv: z.string(),
  groupsClaim: z.string(),
  scopes: z.array(z.string()),
  /** The callback URL registered at the provider; null: derived from the request (scheme and Host). */
  redirectUri: z.string().nullable(),
  /** Provider group → the role grants its members get. */
  roles: z.record(z.string(), z.array(z.object({ role: z.enum(roles), env: z.string() }))),
});
export type OidcSettings = z.infer<typeof oidcSettingsSchema>;
