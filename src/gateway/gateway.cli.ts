import type { Command } from "commander";
import { ago, clientFor, printJson, printTable, sinceToEpoch, type GlobalOptions } from "../cli/cli-context.ts";
import type { AccessLine } from "./edge-log.reader.ts";

type EnvOptions = GlobalOptions & { env: string; json?: boolean };

/** How often `rampart logs --edge --follow` asks for new lines (the access log is written about once a second). */
const FOLLOW_POLL_MS = 1_000;

export function registerGatewayCommands(program: Command, globals: () => GlobalOptions): void {
  const keys = program
    .command("apikeys")
    .description("API keys for apps whose rampart.yaml says auth: { api_keys: true }; checked by the edge");

  keys
    .command("create <app>")
    .description("make an API key (shown once: store it now; only its SHA-256 is kept)")
    .requiredOption("--env <env>", "environment")
    .option("--name <name>", "a name for it (the app sees apikey:<name> in x-rampart-subject); default key-XXXXXX")
    .option("--json", "print JSON")
    .action(async (app: string, options: EnvOptions & { name?: string }) => {
      const opts = { ...globals(), ...options };
      const created = await clientFor(opts).createApiKey(options.env, app, options.name);
      if (opts.json) return printJson(created);
      process.stdout.write(
        `API key ${created.apiKey.name} for ${app} in ${options.env} (shown once, store it now):\n\n  ${created.key}\n\n` +
          `send it as X-Api-Key: <key> or Authorization: Bearer <key>; revoke it with rampart apikeys revoke ${app} ${created.apiKey.name} --env ${options.env}\n`,
      );
    });

  keys
    .command("list <app>")
    .description("the app's API keys: names, who made or revoked them and when (never the keys)")
    .requiredOption("--env <env>", "environment")
    .option("--json", "print JSON")
    .action(async (app: string, options: EnvOptions) => {
      const opts = { ...globals(), ...options };
      const list = await clientFor(opts).apiKeys(options.env, app);
      if (opts.json) return printJson({ apiKeys: list });
      if (list.length === 0)
        return void process.stdout.write(
          `no API keys for ${app} in ${options.env}; make one: rampart apikeys create ${app} --env ${options.env}\n`,
        );
      printTable(
        ["NAME", "STATE", "CREATED", "BY", "REVOKED", "BY"],
        list.map((k) => [
          k.name,
          k.revokedAt === null ? "active" : "revoked",
          ago(k.createdAt),
          k.createdBy,
          ago(k.revokedAt),
          k.revokedBy ?? "-",
        ]),
      );
    });

  keys
    .command("revoke <app> <name>")
    .description("revoke an API key by name: the edge refuses it from the next routing table (pushed at once)")
    .requiredOption("--env <env>", "environment")
    .option("--json", "print JSON")
    .action(async (app: string, name: string, options: EnvOptions) => {
      const opts = { ...globals(), ...options };
      const revoked = await clientFor(opts).revokeApiKey(options.env, app, name);
      if (opts.json) return printJson(revoked);
      process.stdout.write(`revoked API key ${revoked.name} of ${app} in ${options.env}\n`);
    });
}

/** `rampart logs --edge --env ENV`: the edge's access log (environments.<env>.access_log), oldest first. */
export async function printEdgeLog(
  opts: GlobalOptions & { env: string; since?: string; grep?: string; limit: number; follow?: boolean; json?: boolean },
): Promise<void> {
  const client = clientFor(opts);
  const grep = opts.grep;
  const entries = await client.edgeLog(opts.env, {
    since: sinceToEpoch(opts.since),
    limit: opts.limit,
    ...(grep === undefined ? {} : { grep }),
  });
  if (opts.json && !opts.follow) return printJson({ entries });
  if (entries.length === 0 && !opts.follow)
    process.stderr.write(`no access log lines for ${opts.env}; is environments.${opts.env}.access_log: true in rampart.yaml?\n`);
  const printed = new Set<string>();
  const print = (line: AccessLine): void => {
    printed.add(line.request_id + line.time);
    process.stdout.write(`${opts.json ? JSON.stringify(line) : humanAccessLine(line)}\n`);
  };
  for (const line of entries) print(line);
  if (!opts.follow) return;
  let since = entries.length === 0 ? Date.now() : Date.parse(entries.at(-1)?.time ?? "");
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
    const next = await client.edgeLog(opts.env, { since, limit: 10_000, ...(grep === undefined ? {} : { grep }) });
    for (const line of next) if (!printed.has(line.request_id + line.time)) print(line);
    if (next.length > 0) since = Date.parse(next.at(-1)?.time ?? "");
    // Only what can still come back (same millisecond) is remembered.
    if (printed.size > 50_000) printed.clear();
  }
}

export function humanAccessLine(l: AccessLine): string {
  const upstream = l.upstream_ms === null ? "-" : `${l.upstream_ms}ms`;
  return `${l.time} ${l.client} ${l.method} ${l.host ?? "-"}${l.path} ${l.status} ${l.bytes}B ${l.duration_ms}ms up=${upstream} ${l.app || "-"}#${l.release}/${l.instance || "-"} sub=${l.subject ?? "-"} id=${l.request_id}`;
}
