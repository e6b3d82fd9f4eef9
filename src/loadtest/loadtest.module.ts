import type { RouteDefinition } from "../api/route-definition.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Module } from "../platform/module.ts";
import { loadTestRoutes } from "./loadtest.routes.ts";
import { LoadTestService } from "./loadtest.service.ts";

export interface LoadTests extends Module {
  service: LoadTestService;
  routes: RouteDefinition[];
}

/** Load test results (the load itself comes from the CLI, through the edge: src/loadtest/open-loop.ts). */
export function createLoadTests(deps: {
  events: EventLog;
  isProtected: (env: string) => boolean;
  assertApp: (env: string, app: string) => void;
}): LoadTests {
  const service = new LoadTestService(deps);
  return { name: "loadtests", service, routes: loadTestRoutes(service, deps.assertApp) };
}
