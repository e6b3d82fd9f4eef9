import type { EventLog } from "../events/event-log.ts";
import { RampartError } from "../shared/errors.ts";
import { type LoadResult, type LoadTestRecord, loadResultSchema } from "./loadtest.types.ts";

/**
 * Load test results are events (`loadtest.completed`, data = the result): the log already keeps them per app and
 * environment, in order, with who ran them, and readiness reads them from there. No table of their own.
 */
export class LoadTestService {
  readonly #events: EventLog;
  readonly #isProtected: (env: string) => boolean;

  constructor(deps: { events: EventLog; isProtected: (env: string) => boolean }) {
    this.#events = deps.events;
    this.#isProtected = deps.isProtected;
  }

  /** Recorded before a run against a protected environment (the route asks for platform.manage there). */
  async allowProduction(env: string, app: string, actor: string, rate: number, durationMs: number): Promise<{ allowed: true }> {
    await this.#events.append({
      type: "loadtest.allowed",
      env,
      app,
      actor,
      message: `${actor} allowed a load test of ${app} in protected ${env} at ${rate}/s for ${Math.round(durationMs / 1000)}s`,
      data: { rate, durationMs },
    });
    return { allowed: true };
  }

  async record(env: string, app: string, actor: string, result: LoadResult, allowProduction: boolean) {
    if (this.#isProtected(env) && !allowProduction)
      throw new RampartError("loadtest_refused", `${env} is protected: a load test there needs --allow-production`, {
        hint: `run it in staging (rampart loadtest ${app} --env staging), or add --allow-production (permission platform.manage, audited)`,
      });
    const previous = await this.latest(env, app);
    const event = await this.#events.append({
      type: "loadtest.completed",
      env,
      app,
      actor,
      message: `load test of ${app} in ${env}: ${result.achievedRps}/s of ${result.rate}/s asked, p99 ${result.latencyMs.p99} ms, errors ${(result.errorRate * 100).toFixed(2)}%, ${result.passed ? "passed" : "failed"}`,
      data: { ...result },
    });
    return { recorded: { eventId: event.id, at: event.at, actor, result }, previous };
  }

  async latest(env: string, app: string): Promise<LoadTestRecord | null> {
    const events = await this.#events.query({ type: "loadtest.completed", env, app, limit: 10_000 });
    const last = events.at(-1);
    if (!last) return null;
    const parsed = loadResultSchema.safeParse(last.data);
    return parsed.success ? { eventId: last.id, at: last.at, actor: last.actor, result: parsed.data } : null;
  }
}
