import type { Command } from "commander";
import { clientFor, printJson, printTable, type GlobalOptions } from "../cli/cli-context.ts";
import { positiveIntOption } from "../cli/cli-usage.ts";

/** `rampart db query APP DB --env ENV "SQL"`: read-only, time- and row-limited, audited (src/secrets/db-query.service.ts). */
export function registerDbCommands(program: Command, globals: () => GlobalOptions): void {
  const db = program.command("db").description("gated, audited, read-only access to an app's database");
  db.command("query <app> <db> <sql>")
    .description("run one query in a read-only transaction (permission db.query: a just-in-time grant in protected environments)")
    .requiredOption("--env <env>", "environment")
    .option("--limit <rows>", "rows at most (default 1000)", positiveIntOption)
    .option("--timeout <ms>", "statement timeout in milliseconds (default 10000)", positiveIntOption)
    .option("--json", "print JSON")
    .action(
      async (
        app: string,
        name: string,
        sql: string,
        options: GlobalOptions & { env: string; limit?: number; timeout?: number; json?: boolean },
      ) => {
        const opts = { ...globals(), ...options };
        const result = await clientFor(opts).dbQuery(options.env, app, name, { sql, limit: options.limit, timeout_ms: options.timeout });
        if (opts.json) return printJson(result);
        printTable(
          result.columns,
          result.rows.map((row) => row.map((v) => (v === null ? "NULL" : typeof v === "object" ? JSON.stringify(v) : String(v)))),
        );
        process.stderr.write(
          `${result.rows.length} row(s)${result.truncated ? ` (more matched; --limit raises the cap)` : ""}, ${result.durationMs} ms; recorded as db.query\n`,
        );
      },
    );
}
