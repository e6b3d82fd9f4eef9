import { Command } from "commander";
import { registerInitCommand } from "../config/init.cli.ts";
import { registerUpCommands } from "../daemon/up.cli.ts";
import { registerEventCommands } from "../events/event.cli.ts";
import { registerStatusCommand } from "../platform/status.cli.ts";
import { registerReleaseCommands } from "../releases/release.cli.ts";
import { registerRolloutCommands } from "../releases/rollout.cli.ts";
import { registerLogCommands } from "../runtime/log.cli.ts";
import { registerFlagCommands } from "../flags/flag.cli.ts";
import { registerTraceCommands } from "../telemetry/trace.cli.ts";
import { rampartVersion } from "../shared/version.ts";
import { registerMetricsCommands } from "../telemetry/metrics.cli.ts";
import type { GlobalOptions } from "./cli-context.ts";
import { installUsageHandling, reportError, setCurrentCommand } from "./cli-usage.ts";
import { registerDemoCommand } from "./demo.cli.ts";
import { registerServiceCommands } from "../service/service.cli.ts";
import { registerIncidentCommands } from "../incidents/incident.cli.ts";

// `rampart status | head` closes stdout early: stop quietly, as Unix tools do, instead of crashing on EPIPE.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

/** The CLI, composed from each capability's commands. */
const program = new Command("rampart")
  .description("a self-hosted production environment: supervised apps, zero-downtime releases, one timeline")
  .version(rampartVersion)
  .option("--data <dir>", "data dir (default ./.rampart or RAMPART_DATA)")
  .option("--api <host:port>", "control-plane API address (default from the data dir's credentials, or RAMPART_API)")
  .exitOverride()
  .hook("preAction", (_program, command) => setCurrentCommand(command));

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
registerInitCommand(program, globals);
registerUpCommands(program, globals);
registerDemoCommand(program, globals);
registerStatusCommand(program, globals);
registerReleaseCommands(program, globals);
registerRolloutCommands(program, globals);
registerEventCommands(program, globals);
registerLogCommands(program, globals);
registerFlagCommands(program, globals);
registerMetricsCommands(program, globals);
registerTraceCommands(program, globals);
registerServiceCommands(program, globals);
registerIncidentCommands(program, globals);

installUsageHandling(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  reportError(error);
}
