import { existsSync, writeFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Command } from "commander";
import type { GlobalOptions } from "../cli/cli-context.ts";
import { ignoreDataDir } from "./gitignore.ts";
import { RampartError } from "../shared/errors.ts";
import { projectNameFrom, starterManifest } from "./starter-manifest.ts";

export function registerInitCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command("init")
    .description("write a commented starter rampart.yaml in the current directory, and keep the data dir out of git (.gitignore)")
    .option("--name <name>", "project name (default: the directory's name)")
    .option("--force", "overwrite an existing rampart.yaml")
    .option("--config <file>", "where to write it", "rampart.yaml")
    .action((options: { name?: string; force?: boolean; config: string }) => {
      const path = resolve(options.config);
      if (existsSync(path) && !options.force) {
        throw new RampartError("exists", `${path} already exists`, { hint: "edit it, or pass --force to overwrite it" });
      }
      const name = projectNameFrom(options.name ?? basename(process.cwd()));
      writeFileSync(path, starterManifest(name));
      // The data dir holds the API token: it must never be committed with the project.
      const projectDir = dirname(path);
      const given = globals().data || process.env.RAMPART_DATA;
      const ignored = ignoreDataDir(projectDir, given ? resolve(given) : resolve(projectDir, ".rampart"));
      if (ignored !== null)
        process.stdout.write(`added ${ignored} to ${resolve(projectDir, ".gitignore")} (the data dir holds the API token)\n`);
      process.stdout.write(
        `wrote ${path}\nnext: point apps.web.source and apps.web.run at your app, then run \`rampart up\` and \`rampart deploy web --env staging --wait\`\n`,
      );
    });
}
