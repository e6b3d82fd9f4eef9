import type { Module } from "../platform/module.ts";
import type { Clock } from "../shared/clock.ts";
import { consoleStatic, DEFAULT_CONSOLE_DIR } from "./console-static.ts";
import { overviewRoutes } from "./overview.routes.ts";
import { OverviewService, type OverviewSources } from "./overview.service.ts";

/**
 * The web console: its built files at `/` (src/console/console-static.ts) and the one aggregate route its home
 * view reads (`GET /api/v1/overview`). It owns no state: every figure comes from its capability through `sources`.
 */
export function createConsole(deps: {
  sources: OverviewSources;
  clock: Clock;
  oidcConfigured: () => boolean;
  dir?: string;
}): Module & { overview: OverviewService } {
  const overview = new OverviewService(deps.sources, deps.clock);
  return {
    name: "console",
    overview,
    routes: overviewRoutes(overview, deps.oidcConfigured),
    protocols: [consoleStatic(deps.dir ?? DEFAULT_CONSOLE_DIR)],
  };
}
