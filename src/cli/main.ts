import { Command } from "commander";
import { registerAccessCommands } from "../access/access-request.cli.ts";
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
import { registerAuditCommands } from "../audit/audit.cli.ts";
import { registerSecretCommands } from "../secrets/secret.cli.ts";
import { registerDbCommands } from "../secrets/db-query.cli.ts";
import { registerIdentityCommands } from "../access/identity.cli.ts";
import { registerLoginCommands } from "./login.cli.ts";
import { registerAlertCommands } from "../alerts/alert.cli.ts";
import { registerAlertNotifyCommands } from "../alerts/notify/notify.cli.ts";
import { registerChecksCommand } from "../checks/checks.cli.ts";
import { registerIncidentCommands } from "../incidents/incident.cli.ts";
import { registerOncallCommands } from "../oncall/oncall.cli.ts";
import { registerBackupCommands } from "../backup/backup.cli.ts";
import { registerLoadTestCommands } from "../loadtest/loadtest.cli.ts";
import { registerParityCommands } from "../parity/parity.cli.ts";
import { registerReadinessCommands } from "../readiness/readiness.cli.ts";
import { registerRollbackDrillCommands } from "../rollback-drills/rollback-drill.cli.ts";
import { registerPlanCommands } from "../plan/plan.cli.ts";
import { registerGatewayCommands } from "../gateway/gateway.cli.ts";
import { registerRumCommands } from "../rum/rum.cli.ts";

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
  .option("--ca <file>", "CA or certificate (PEM) to trust for the API's TLS (or RAMPART_CA_FILE)")
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
registerAccessCommands(program, globals);
registerAuditCommands(program, globals);
registerSecretCommands(program, globals);
registerDbCommands(program, globals);
registerIdentityCommands(program, globals);
registerLoginCommands(program, globals);
registerAlertCommands(program, globals);
registerAlertNotifyCommands(program, globals);
registerChecksCommand(program, globals);
registerIncidentCommands(program, globals);
registerOncallCommands(program, globals);
registerBackupCommands(program, globals);
registerLoadTestCommands(program, globals);
registerParityCommands(program, globals);
registerReadinessCommands(program, globals);
registerRollbackDrillCommands(program, globals);
registerPlanCommands(program, globals);
registerGatewayCommands(program, globals);
registerRumCommands(program, globals);

installUsageHandling(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  reportError(error);
}
