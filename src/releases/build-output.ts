import type { ApiClient } from "../client/api-client.ts";
import { buildInstance } from "./artifact.service.ts";
import type { ReleaseView } from "./release.types.ts";

/** Lines asked for per poll: a build printing more than this between two polls (200 ms) loses the oldest of them. */
const POLL_LIMIT = 10_000;

/**
 * The deploying terminal's view of a release's build: the server tees the build into the log pipeline as instance
 * `<env>.<app>.r<N>.build`, and each poll prints the lines indexed since the last one. Polling the log API (not its
 * stream) keeps it to one request per wait step and works the same against a remote platform.
 */
export class BuildOutput {
  readonly #client: ApiClient;
  readonly #release: Pick<ReleaseView, "env" | "app" | "number">;
  readonly #print: (line: string) => void;
  #since: number | undefined;
  // Lines of the `#since` millisecond already printed: the next query starts at that millisecond again.
  #printedAtSince = 0;
  #off = false;

  constructor(client: ApiClient, release: Pick<ReleaseView, "env" | "app" | "number">, print: (line: string) => void) {
    this.#client = client;
    this.#release = release;
    this.#print = print;
  }

  get instance(): string {
    return buildInstance({ env: this.#release.env, app: this.#release.app, release: this.#release.number });
  }

  /** Polls until `deadline` (epoch ms): the build is over, but its last lines may still be on their way into the index. */
  async drainUntil(deadline: number): Promise<void> {
    for (;;) {
      await this.poll();
      if (this.#off || Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Prints the build lines indexed since the last poll; returns how many. */
  async poll(): Promise<number> {
    if (this.#off) return 0;
    let lines;
    try {
      lines = await this.#client.logs(this.#release.env, this.#release.app, {
        instance: this.instance,
        since: this.#since,
        limit: POLL_LIMIT,
      });
    } catch {
      // Best effort: a token that may deploy but not read logs still gets its deploy (and the build's tail if it fails).
      this.#off = true;
      return 0;
    }
    let skip = this.#printedAtSince;
    let printed = 0;
    for (const line of lines) {
      if (line.time === this.#since && skip > 0) {
        skip--;
        continue;
      }
      if (line.time !== this.#since) {
        this.#since = line.time;
        this.#printedAtSince = 0;
      }
      this.#printedAtSince++;
      this.#print(`  build | ${line.text}`);
      printed++;
    }
    return printed;
  }
}
