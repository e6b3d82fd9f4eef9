import { z } from "zod";

/**
 * starting: spawned, not yet healthy · healthy / unhealthy: by its health checks · crashed: exited, a restart
 * is scheduled · failed: crash loop, restarts given up · stopping: draining before SIGTERM · stopped: gone for good.
 */
export const instanceStatuses = ["starting", "healthy", "unhealthy", "crashed", "failed", "stopping", "stopped"] as const;
export type InstanceStatus = (typeof instanceStatuses)[number];

export interface InstanceRecord {
  id: string;
  env: string;
  app: string;
  release: number;
  slot: number;
  port: number;
  status: InstanceStatus;
  pid: number | null;
  pidStart: string | null;
  runnerPid: number | null;
  runnerStart: string | null;
  restarts: number;
  startedAt: number;
  updatedAt: number;
  logPath: string;
  stateDir: string;
  lastExit: string | null;
  /**
   * What the last failed health check got (`GET /healthz → 404`), while the instance is not healthy; null once a
   * check passes. In memory only: after a control-plane restart the next probe fills it again.
   */
  lastProbe?: string | null;
}

export const instanceViewSchema = z.object({
  id: z.string(),
  release: z.number().int(),
  pid: z.number().int().nullable(),
  port: z.number().int(),
  health: z.enum(instanceStatuses),
  routable: z.boolean(),
  restarts: z.number().int(),
  startedAt: z.number().int(),
  lastExit: z.string().nullable(),
  lastProbe: z.string().nullable().describe("what the last failed health check got, e.g. GET /healthz → 404; null once healthy"),
});
export type InstanceView = z.infer<typeof instanceViewSchema>;

/** `routable` comes from the traffic state (src/traffic), the one owner of where requests go. */
export function toInstanceView(record: InstanceRecord, routable: boolean): InstanceView {
  return {
    id: record.id,
    release: record.release,
    pid: record.pid,
    port: record.port,
    health: record.status,
    routable,
    restarts: record.restarts,
    startedAt: record.startedAt,
    lastExit: record.lastExit,
    lastProbe: record.lastProbe ?? null,
  };
}
