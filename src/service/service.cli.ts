import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { dataDirOf, type GlobalOptions } from "../cli/cli-context.ts";
import { RampartError } from "../shared/errors.ts";
import { renderUnit } from "./systemd-unit.ts";

const RAMPART_BIN = fileURLToPath(new URL("../../bin/rampart", import.meta.url));
const SYSTEM_UNIT_DIR = "/etc/systemd/system";

interface ServiceOptions extends GlobalOptions {
  config: string;
  user?: string;
  name: string;
  unitDir: string;
  start: boolean;
}

/** Whether systemd runs this machine (not, e.g., a container whose pid 1 is a shell): then we call systemctl. */
function systemdRunning(): boolean {
  return existsSync("/run/systemd/system");
}

function systemctl(args: string[]): void {
  const result = spawnSync("systemctl", args, { stdio: "inherit" });
  if (result.status !== 0)
    throw new RampartError("service_failed", `systemctl ${args.join(" ")} failed (exit ${result.status ?? result.signal})`, {
      hint: `journalctl -u ${args.at(-1)} -n 50`,
    });
}

function projectName(configPath: string): string {
  try {
    const parsed: unknown = parseYaml(readFileSync(configPath, "utf8"));
    if (parsed && typeof parsed === "object" && "name" in parsed && typeof parsed.name === "string") return parsed.name;
  } catch {
    // The manifest is validated by `rampart up` itself; a name is only for the unit's description.
  }
  return basename(dirname(configPath));
}

export function registerServiceCommands(program: Command, globals: () => GlobalOptions): void {
  const service = program.command("service").description("run Rampart as a systemd service that survives reboots");
  service
    .command("install")
    .description("write a systemd unit for `rampart up` (KillMode=process: restarts never stop the apps) and start it")
    .option("--config <file>", "the project manifest", "rampart.yaml")
    .option("--user <user>", "run the control plane as this user (default: the current one)")
    .option("--name <name>", "the unit's name", "rampart")
    .option("--unit-dir <dir>", "where to write the unit", SYSTEM_UNIT_DIR)
    .option("--no-start", "write the unit only; do not enable or start it")
    .action((options: ServiceOptions) => {
      const opts = { ...globals(), ...options };
      const configPath = resolve(opts.config);
      if (!existsSync(configPath))
        throw new RampartError("not_found", `${configPath} does not exist`, {
          hint: "run it in your project's folder, or pass --config FILE (rampart init writes one)",
        });
      const dataDir = dataDirOf(opts);
      // Without --api or RAMPART_API the unit leaves the address to rampart.yaml's api.listen (default 127.0.0.1:7700).
      const api = opts.api || process.env.RAMPART_API || null;
      const unitPath = join(resolve(opts.unitDir), `${opts.name}.service`);
      const user = opts.user ?? process.env.SUDO_USER ?? null;
      const text = renderUnit({
        rampart: RAMPART_BIN,
        configPath,
        dataDir,
        api,
        workingDir: dirname(configPath),
        user: user === "root" ? null : user,
        project: projectName(configPath),
      });
      mkdirSync(dirname(unitPath), { recursive: true });
      writeFileSync(unitPath, text, { mode: 0o644 });
      process.stdout.write(
        `wrote ${unitPath}\n  runs: rampart up --config ${configPath} --data ${dataDir}${api === null ? "" : ` --api ${api}`}${user && user !== "root" ? ` as ${user}` : ""}\n  KillMode=process: stopping or restarting the service never stops the edge or the apps\n`,
      );
      const managed = opts.unitDir === SYSTEM_UNIT_DIR && systemdRunning();
      if (opts.start && managed) {
        systemctl(["daemon-reload"]);
        systemctl(["enable", "--now", opts.name]);
        process.stdout.write(`enabled and started ${opts.name}: it starts at boot and restarts if it fails\n`);
      } else if (opts.start) {
        process.stdout.write(
          `systemd is not running here${opts.unitDir === SYSTEM_UNIT_DIR ? "" : ` (or the unit is not in ${SYSTEM_UNIT_DIR})`}; to start it on a systemd machine:\n`,
        );
      }
      const next = [
        `systemctl daemon-reload && systemctl enable --now ${opts.name}`,
        `systemctl status ${opts.name}`,
        `journalctl -u ${opts.name} -f`,
        "rampart status",
      ];
      process.stdout.write(`next:\n${next.map((c) => `  ${c}`).join("\n")}\n`);
    });
  service
    .command("uninstall")
    .description("stop and remove the systemd unit (the apps keep serving; `rampart down` stops them)")
    .option("--name <name>", "the unit's name", "rampart")
    .option("--unit-dir <dir>", "where the unit is", SYSTEM_UNIT_DIR)
    .action((options: { name: string; unitDir: string }) => {
      const unitPath = join(resolve(options.unitDir), `${options.name}.service`);
      if (!existsSync(unitPath))
        throw new RampartError("not_found", `${unitPath} does not exist`, {
          hint: "rampart service install writes it; --name and --unit-dir must match",
        });
      if (options.unitDir === SYSTEM_UNIT_DIR && systemdRunning()) systemctl(["disable", "--now", options.name]);
      rmSync(unitPath);
      if (options.unitDir === SYSTEM_UNIT_DIR && systemdRunning()) systemctl(["daemon-reload"]);
      process.stdout.write(`removed ${unitPath}; the edge and the apps keep serving until \`rampart down\`\n`);
    });
}
