import { existsSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { Command } from "commander";
import { RampartError } from "../shared/errors.ts";
import { projectNameFrom, starterManifest } from "./starter-manifest.ts";

export function registerInitCommand(program: Command): void {
  program
    .command("init")
    .description("write a commented starter rampart.yaml in the current directory")
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
      process.stdout.write(
        `wrote ${path}\nnext: point apps.web.source and apps.web.run at your app, then run \`rampart up\` and \`rampart deploy web --env staging --wait\`\n`,
      );
    });
}
