import type { TrafficPusher } from "./traffic.service.ts";

/**
 * The edge as the traffic service sees it, for tests without an edge process: counts the table pushes, reports
 * nothing in flight (or what the test sets), and once frozen hangs every push (a control plane killed mid-way).
 */
export class FakeTrafficPusher implements TrafficPusher {
  pushes = 0;
  frozen = false;
  readonly inflightById = new Map<string, number>();

  async applyRouting(): Promise<void> {
    if (this.frozen) await new Promise<never>(() => {});
    this.pushes++;
  }

  async inflight(instanceId: string): Promise<number> {
    return this.inflightById.get(instanceId) ?? 0;
  }
}
