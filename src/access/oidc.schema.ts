import { z } from "zod";
import { expected, text } from "../config/fields.schema.ts";
import type { OidcSettings } from "./oidc-settings.ts";
import { roles } from "./permissions.ts";

/**
 * `access.oidc` in rampart.yaml: login through an OpenID Connect provider (authorization code + PKCE), its groups
 * mapped to role grants. Its own object so that `access:` (just-in-time policy lives there too) imports it.
 */
export const oidcFileSchema = z.strictObject(
  {
    issuer: z.url({ error: expected("the provider's issuer URL, e.g. https://id.example.com/realms/main") }),
    client_id: text("the client id registered at the provider"),
    client_secret_env: z
      .string({ error: expected("the name of an environment variable, e.g. RAMPART_OIDC_SECRET") })
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "is not an environment variable name, e.g. RAMPART_OIDC_SECRET" }),
    groups_claim: text("a claim name, e.g. groups").optional(),
    scopes: z.array(text("a scope, e.g. groups")).optional(),
    redirect_uri: z
      .url({ error: expected("the callback URL, e.g. https://rampart.example.com:7700/api/v1/auth/oidc/callback") })
      .optional(),
    roles: z
      .record(
        z.string(),
        z.array(
          z.strictObject(
            { role: z.enum(roles, { error: expected(`one of ${roles.join(", ")}`) }), env: text("an environment name") },
            { error: expected("a mapping such as { role: deployer, env: staging }") },
          ),
        ),
        { error: expected("a mapping of group: [grants], e.g. { ops: [{ role: operator, env: production }] }") },
      )
      .optional(),
  },
  { error: expected("a mapping such as { issuer: https://id.example.com, client_id: rampart, client_secret_env: RAMPART_OIDC_SECRET }") },
);
export type OidcFile = z.output<typeof oidcFileSchema>;

export function resolveOidcSettings(file: OidcFile | undefined): OidcSettings | null {
  if (file === undefined) return null;
  return {
    issuer: file.issuer,
    clientId: file.client_id,
    clientSecretEnv: file.client_secret_env,
    groupsClaim: file.groups_claim ?? "groups",
    scopes: ["openid", "profile", "email", ...(file.scopes ?? [])],
    redirectUri: file.redirect_uri ?? null,
    roles: file.roles ?? {},
  };
}
