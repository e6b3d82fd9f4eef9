import type { RampartEvent } from "../events/event.types.ts";
import type { ReleaseView } from "./release.types.ts";

/** While only the counts in a line change (requests seen, time left), a fresh line at most this often. */
const COUNTS_EVERY_MS = 60_000;

/**
 * What `--wait` prints while a release rolls out: one line per change of state, step, split, verdict, hold reason
 * or instance health, in pipes as on a terminal. The rollout's events are the changes (a step that lasts less than
 * a poll still gets its line); the rollout's latest message adds what only it carries, and a line whose only
 * difference is a number (the canary's request count, a countdown) is printed at most once a minute, so a held
 * step stays visible without a line per second.
 */
export class RolloutProgress {
  #lastKey = "";
  #lastLine = "";
  #lastAt = 0;
  readonly #instances = new Map<string, string>();

  /**
   * The lines that `release` (read first) and the rollout events since the last call (read after it, so every
   * message the view shows has its event here already) add to what was printed before.
   */
  lines(
    release: Pick<ReleaseView, "number" | "status" | "reason" | "rollout" | "instances">,
    events: readonly RampartEvent[],
    now: number,
  ): string[] {
    const out: string[] = [];
    // The reason of a failed or rolled-back release is the error `--wait` ends with: not printed twice.
    const ended = release.status === "failed" || release.status === "rolled_back";
    const repeatsReason = (line: string): boolean => ended && release.reason !== null && line.includes(release.reason);
    for (const event of events) {
      if (event.release !== release.number || !event.type.startsWith("rollout.")) continue;
      if (!repeatsReason(event.message)) out.push(`  ${event.message}`);
      this.#remember(event.message, now);
    }
    const message = release.rollout?.message ?? "";
    if (message && message !== this.#lastLine && !repeatsReason(message)) {
      const countsOnly = withoutCounts(message) === this.#lastKey;
      if (!countsOnly || now - this.#lastAt >= COUNTS_EVERY_MS) {
        out.push(`  ${message}`);
        this.#remember(message, now);
      }
    }
    for (const instance of release.instances) {
      const line = instanceLine(instance);
      if (this.#instances.get(instance.id) === line) continue;
      // An instance's first sighting as plainly starting says nothing the rollout line did not.
      const quiet = !this.#instances.has(instance.id) && instance.health === "starting" && instance.lastProbe === null;
      this.#instances.set(instance.id, line);
      if (!quiet) out.push(`    ${line}`);
    }
    return out;
  }

  #remember(line: string, now: number): void {
    this.#lastKey = withoutCounts(line);
    this.#lastLine = line;
    this.#lastAt = now;
  }
}

function instanceLine(instance: ReleaseView["instances"][number]): string {
  const probe = instance.lastProbe !== null && instance.health !== "healthy" ? ` (last check: ${instance.lastProbe})` : "";
  const exit = instance.lastExit !== null && instance.health !== "healthy" ? `, last exit: ${instance.lastExit}` : "";
  return `${instance.id}: ${instance.health}${probe}${exit}`;
}

/** The line with every number replaced: what is left is the shape of the news (state, reason, which side is short). */
function withoutCounts(line: string): string {
  return line.replace(/\d[\d.,]*/g, "#");
}
