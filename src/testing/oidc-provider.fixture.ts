import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

/**
 * A real OpenID Connect provider (the `oidc-provider` package, in its development mode with its own login and
 * consent pages) on an ephemeral port, with two confidential clients and users whose groups are given.
 */
export interface TestProvider {
  issuer: string;
  /** Seconds an authorization code lives (a test of expiry lowers it). */
  codeTtl: { seconds: number };
  close(): Promise<void>;
}

export async function startTestProvider(options: {
  clients: { id: string; secret: string; redirectUri: string }[];
  groups: Record<string, string[]>;
}): Promise<TestProvider> {
  const codeTtl = { seconds: 60 };
  let provider: Provider | undefined;
  const server: Server = createServer((req, res) => {
    if (provider === undefined) return void res.writeHead(503).end();
    provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.id,
      client_secret: c.secret,
      redirect_uris: [c.redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    })),
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, preferred_username: id, email: `${id}@example.com`, groups: options.groups[id] ?? [] }),
    }),
    claims: { openid: ["sub"], profile: ["preferred_username"], email: ["email"], groups: ["groups"] },
    scopes: ["openid", "profile", "email", "groups"],
    pkce: { required: () => true },
    ttl: { AuthorizationCode: () => codeTtl.seconds },
    cookies: { keys: ["a test key, not a secret"] },
    features: { devInteractions: { enabled: true } },
  });
  // Its development-mode warnings are expected here.
  provider.on("server_error", () => undefined);
  return {
    issuer,
    codeTtl,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A browser as far as a login needs one: follows redirects, keeps cookies per host, and submits the provider's
 * login (as `user`) and consent forms. Stops at the first redirect to a URL starting with `stopAt` and returns it.
 */
export class TestBrowser {
  readonly #cookies = new Map<string, Map<string, string>>();

  async fetch(url: string, init: { method?: string; body?: URLSearchParams } = {}): Promise<Response> {
    const host = new URL(url).host;
    const jar = this.#cookies.get(host) ?? new Map<string, string>();
    this.#cookies.set(host, jar);
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const response = await fetch(url, {
      method: init.method ?? "GET",
      redirect: "manual",
      headers: { ...(cookie ? { cookie } : {}), ...(init.body ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
      body: init.body,
    });
    for (const set of response.headers.getSetCookie()) {
      const [pair] = set.split(";");
      const eq = pair?.indexOf("=") ?? -1;
      if (pair && eq > 0) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return response;
  }

  /** From `url` through the provider's pages until a redirect to `stopAt…`; returns that URL. */
  async loginUntil(url: string, user: string, stopAt: string): Promise<string> {
    let next = url;
    for (let hop = 0; hop < 20; hop++) {
      if (next.startsWith(stopAt)) return next;
      const response = await this.fetch(next);
      const location = response.headers.get("location");
      if (location !== null) {
        next = new URL(location, next).toString();
        continue;
      }
      const html = await response.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      if (action === undefined) throw new Error(`no redirect and no form at ${next} (${response.status}): ${html.slice(0, 300)}`);
      const form = html.includes('value="login"')
        ? new URLSearchParams({ prompt: "login", login: user, password: "any" })
        : new URLSearchParams({ prompt: "consent" });
      const submitted = await this.fetch(new URL(action, next).toString(), { method: "POST", body: form });
      const after = submitted.headers.get("location");
      if (after === null) throw new Error(`the provider's form at ${action} answered ${submitted.status} without a redirect`);
      next = new URL(after, next).toString();
    }
    throw new Error(`no redirect to ${stopAt} after 20 hops`);
  }
}
