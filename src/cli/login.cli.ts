import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { ApiClient, ApiError } from "../client/api-client.ts";
import { readCredentials } from "../daemon/credentials.ts";
import { errorMessage, RampartError } from "../shared/errors.ts";
import { dataDirOf, type GlobalOptions, printJson, printTable } from "./cli-context.ts";
import { type CliContext, contextsPath, currentContext, readContexts, removeContext, saveContext, useContext } from "./contexts.store.ts";
import { oidcLogin } from "./oidc-login.ts";

interface LoginOptions extends GlobalOptions {
  user?: string;
  passwordStdin?: boolean;
  tokenStdin?: boolean;
  name?: string;
  oidc?: boolean;
}

/** `rampart login|logout` and `rampart context list|use`: the CLI's contexts (see contexts.store.ts). */
export function registerLoginCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command("login [url]")
    .description("log in to a Rampart API and keep the session (or token) as a context, so the CLI works from any directory")
    .option("--user <name>", "log in as this user (the password is read from stdin with --password-stdin)")
    .option("--password-stdin", "read the password from stdin")
    .option("--token-stdin", "use a personal or service token read from stdin instead of a password")
    .option("--oidc", "log in through the OpenID Connect provider rampart.yaml configures (prints a URL to open)")
    .option("--name <context>", "the context's name (default: the API's host:port)")
    .option("--ca <file>", "CA or self-signed certificate (PEM) to trust for this API; kept in the context")
    .action(async (url: string | undefined, options: LoginOptions) => {
      await login(url, { ...globals(), ...options });
    });

  program
    .command("logout")
    .description("end the current context's session on the API and forget it here")
    .option("--name <context>", "another context than the current one")
    .action(async (options: { name?: string }) => {
      await logout(options.name);
    });

  const context = program.command("context").description("the APIs this CLI has logged in to");
  context
    .command("list")
    .description("list the contexts (the current one marked *); tokens are never shown")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) => {
      listContexts({ ...globals(), ...options });
    });
  context
    .command("use <name>")
    .description("make that context the current one")
    .action((name: string) => {
      const chosen = useContext(name);
      process.stdout.write(`now using context ${chosen.name} (${chosen.api}${chosen.user ? ` as ${chosen.user}` : ""})\n`);
    });
}

async function login(given: string | undefined, options: LoginOptions): Promise<void> {
  const api = apiUrl(given ?? defaultApi(options));
  const ca = readCa(options.ca || process.env.RAMPART_CA_FILE);
  const tls = ca === undefined ? undefined : { ca };
  const anonymous = new ApiClient({ baseUrl: api, token: "", tls });
  // Reach it (and trust its certificate) before a password is sent anywhere.
  await anonymous.health();
  const name = options.name ?? new URL(api).host;
  let context: CliContext;
  if (options.oidc) {
    const session = await oidcLogin(api, tls, (line) => process.stderr.write(`${line}\n`));
    context = { name, api, token: session.token, ...(ca ? { ca } : {}), user: session.user, via: "session", expiresAt: session.expiresAt };
  } else if (options.tokenStdin) {
    const token = await readStdinSecret("token");
    const client = new ApiClient({ baseUrl: api, token, tls });
    context = { name, api, token, ...(ca ? { ca } : {}), user: await actorOf(client), via: "token", expiresAt: null };
  } else if (options.user !== undefined && options.passwordStdin) {
    const password = await readStdinSecret("password");
    const session = await anonymous.login(options.user, password);
    const user = session.user;
    context = { name, api, token: session.token, ...(ca ? { ca } : {}), user, via: "session", expiresAt: session.expiresAt ?? null };
  } else {
    throw new RampartError("invalid_option", "rampart login needs a way to log in: --user NAME --password-stdin, --token-stdin or --oidc", {
      hint: `e.g. printf '%s' "$PASSWORD" | rampart login ${api} --user alice --password-stdin`,
    });
  }
  saveContext(context);
  process.stdout.write(`logged in to ${api}${context.user ? ` as ${context.user}` : ""}; context ${name} is current (${contextsPath()})\n`);
}

/** Whom a token acts as, if the API can say; a token the API refuses fails the login. */
async function actorOf(client: ApiClient): Promise<string | null> {
  try {
    return (await client.whoami()).actor;
  } catch (error) {
    // An API without the whoami route (older) still proves the token with a read.
    if (error instanceof ApiError && error.code === "not_found") {
      await client.events({ limit: 1 });
      return null;
    }
    throw error;
  }
}

async function logout(name: string | undefined): Promise<void> {
  const context = name === undefined ? currentContext() : (readContexts().contexts.find((c) => c.name === name) ?? null);
  if (context === null) {
    if (name !== undefined) removeContext(name); // throws unknown_context with the names there are
    throw new RampartError("unknown_context", "no context is current, so there is nothing to log out of", {
      hint: "rampart context list shows the contexts; rampart logout --name NAME logs out of one",
    });
  }
  let note = "";
  if (context.via === "session") {
    try {
      await new ApiClient({ baseUrl: context.api, token: context.token, tls: context.ca ? { ca: context.ca } : undefined }).logout();
    } catch (error) {
      // The session may have expired or the API be gone: forgetting it here is still what was asked.
      note = ` (the API did not end the session: ${errorMessage(error)}; it expires by itself)`;
    }
  }
  removeContext(context.name);
  process.stdout.write(`logged out of ${context.api}; context ${context.name} removed${note}\n`);
}

function listContexts(options: GlobalOptions): void {
  const file = readContexts();
  const rows = file.contexts.map((c) => ({
    name: c.name,
    current: c.name === file.current,
    api: c.api,
    user: c.user,
    via: c.via,
    ca: c.ca !== undefined,
    expiresAt: c.expiresAt ?? null,
  }));
  if (options.json) return printJson({ current: file.current, contexts: rows });
  if (rows.length === 0) {
    process.stdout.write("no contexts yet: rampart login https://HOST:7700 adds one\n");
    return;
  }
  printTable(
    ["", "NAME", "API", "USER", "VIA", "EXPIRES"],
    rows.map((r) => [
      r.current ? "*" : "",
      r.name,
      r.api,
      r.user ?? "-",
      r.via,
      r.expiresAt === null ? "-" : new Date(r.expiresAt).toISOString(),
    ]),
  );
}

/** Without a URL: the current context's API, else RAMPART_API, else the project's running `rampart up`. */
function defaultApi(options: GlobalOptions): string {
  const found = options.api || process.env.RAMPART_API || currentContext()?.api || readCredentials(dataDirOf(options))?.api;
  if (!found) {
    throw new RampartError("invalid_option", "rampart login needs the API's URL", {
      hint: "e.g. rampart login https://rampart.example.com:7700",
    });
  }
  return found;
}

/** `host:7700` means https://host:7700: beyond loopback the API speaks TLS. */
function apiUrl(value: string): string {
  const withScheme = /^https?:\/\//.test(value) ? value : `https://${value}`;
  try {
    const url = new URL(withScheme);
    return `${url.protocol}//${url.host}`;
  } catch {
    throw new RampartError("invalid_option", `"${value}" is not a URL of a Rampart API`, {
      hint: "e.g. rampart login https://rampart.example.com:7700",
    });
  }
}

function readCa(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(resolve(file), "utf8");
  } catch (error) {
    throw new RampartError("invalid_option", `--ca: cannot read ${resolve(file)} (${errorMessage(error)})`, {
      hint: "give the PEM file of the CA that signed the API's certificate (or the self-signed certificate itself)",
    });
  }
}

/** A secret piped in (`printf '%s' "$TOKEN" | rampart login …`): never an argument, which `ps` would show. */
async function readStdinSecret(what: string): Promise<string> {
  if (process.stdin.isTTY) {
    throw new RampartError("invalid_option", `--${what}-stdin reads the ${what} from stdin, which is a terminal here`, {
      hint: `pipe it in: printf '%s' "$SECRET" | rampart login URL …`,
    });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  const secret = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (secret === "")
    throw new RampartError("invalid_option", `no ${what} on stdin`, { hint: `pipe it in: printf '%s' "$SECRET" | rampart login URL …` });
  return secret;
}
