import type { InstanceRecord } from "../runtime/instance.types.ts";

/** A healthy instance of release 2 of production's `web` on `port`, as the scraper and collectors see one. */
export function instanceRecord(id: string, port: number, over: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    id,
    env: "production",
    app: "web",
    release: 2,
    slot: 1,
    port,
    status: "healthy",
    pid: null,
    pidStart: null,
    runnerPid: null,
    runnerStart: null,
    restarts: 0,
    startedAt: 0,
    updatedAt: 0,
    logPath: "",
    stateDir: "",
    lastExit: null,
    ...over,
  };
}
