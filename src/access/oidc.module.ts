import type { Module } from "../platform/module.ts";
import type { ExternalUsers, SessionIssuer } from "./caller.ts";
import type { OidcSettings } from "./oidc-settings.ts";
import { callbackUrl, oidcBrowserRoutes, oidcCliRoutes } from "./oidc.routes.ts";
import { OidcService } from "./oidc.service.ts";

export interface OidcModuleDeps {
  /** rampart.yaml's access.oidc as it is now (null: not configured; the routes then say so). */
  settings: () => OidcSettings | null;
  sessions: SessionIssuer;
  users: ExternalUsers;
  env?: NodeJS.ProcessEnv;
}

/** OpenID Connect login: the browser's start and callback routes and the CLI's start and poll. */
export function createOidc(deps: OidcModuleDeps): Module & { service: OidcService } {
  const service = new OidcService(deps);
  return {
    name: "oidc",
    service,
    routes: oidcCliRoutes(service),
    protocols: [
      oidcBrowserRoutes(
        service,
        callbackUrl(() => deps.settings()?.redirectUri ?? null),
      ),
    ],
  };
}
