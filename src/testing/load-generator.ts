import { Agent, request } from "undici";
import { isFailedRequest } from "../shared/measurement.ts";

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** The first few failures, for the assertion message. */
  failures: string[];
  byRelease: Record<string, number>;
  /** With `users`: the users (header values) that had at least one failed request. */
  failedUsers: string[];
}

export interface LoadOptions {
  concurrency?: number;
  maxRequests?: number;
  maxMs?: number;
  /** Requests take turns as `count` users, each named in `header` (u0, u1, …), as an app's sticky header. */
  users?: { header: string; count: number };
}

export interface RunningLoad {
  /** Stops sending, waits for requests in flight, and returns the counts. */
  stop(): Promise<LoadResult>;
  current(): LoadResult;
}

/**
 * Steady keep-alive GET traffic from `concurrency` loops, bounded by `maxRequests` and `maxMs` so it always
 * stops by itself. A failed request is any network error or a status >= 500.
 */
export function startLoad(url: string, options: LoadOptions = {}): RunningLoad {
  const agent = new Agent({ connections: options.concurrency ?? 4, keepAliveTimeout: 30_000 });
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, failures: [], byRelease: {}, failedUsers: [] };
  const failedUsers = new Set<string>();
  const maxRequests = options.maxRequests ?? 200_000;
  const deadline = Date.now() + (options.maxMs ?? 120_000);
  let running = true;
  const loop = async () => {
    while (running && result.sent < maxRequests && Date.now() < deadline) {
      const user = options.users === undefined ? undefined : `u${result.sent % options.users.count}`;
      result.sent++;
      try {
        const headers = options.users === undefined || user === undefined ? undefined : { [options.users.header]: user };
        const response = await request(url, { dispatcher: agent, headers });
        const body = await response.body.text();
        if (isFailedRequest(response.statusCode)) throw new Error(`HTTP ${response.statusCode}: ${body.slice(0, 200)}`);
        result.ok++;
        const release = /"release":"(\d+)"/.exec(body)?.[1] ?? "?";
        result.byRelease[release] = (result.byRelease[release] ?? 0) + 1;
      } catch (error) {
        result.failed++;
        if (user !== undefined && !failedUsers.has(user)) {
          failedUsers.add(user);
          result.failedUsers.push(user);
        }
        if (result.failures.length < 5)
          result.failures.push(error instanceof Error ? `${error.message} ${(error as { code?: string }).code ?? ""}` : String(error));
      }
      // Pace each loop a little so the machine's two cores are not monopolised by the load itself.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };
  const loops = Array.from({ length: options.concurrency ?? 4 }, loop);
  return {
    current: () => ({ ...result, failedUsers: [...result.failedUsers] }),
    async stop() {
      running = false;
      await Promise.all(loops);
      await agent.close();
      return { ...result, failedUsers: [...result.failedUsers] };
    },
  };
}
