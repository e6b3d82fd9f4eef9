import type { ReleaseView } from "./release.types.ts";

/** While only the counts in a line change (requests seen, time left), a fresh line at most this often. */
const COUNTS_EVERY_MS = 60_000;

/**
 * What `--wait` prints while a release rolls out: one line per change of state, step, split, verdict, hold reason
 * or instance health, in pipes as on a terminal. A line whose only difference is a number (the canary's request
 * count, a countdown) is a change of counts, printed at most once a minute, so a held step stays visible without
 * a line per second.
 */
export class RolloutProgress {
  #rolloutKey = "";
  #rolloutLine = "";
  #rolloutAt = 0;
  readonly #instances = new Map<string, string>();

  /** The lines the release's latest view adds to what was printed before. */
  lines(release: Pick<ReleaseView, "rollout" | "instances">, now: number): string[] {
    const out: string[] = [];
    const rollout = release.rollout;
    const message = rollout?.message ?? "";
    if (rollout && message) {
      const decision = typeof rollout.verdict?.decision === "string" ? rollout.verdict.decision : "";
      const key = [rollout.state, rollout.step, decision, withoutCounts(message)].join("|");
      const countsOnly = key === this.#rolloutKey && message !== this.#rolloutLine;
      if (key !== this.#rolloutKey || (countsOnly && now - this.#rolloutAt >= COUNTS_EVERY_MS)) {
        out.push(`  ${message}`);
        this.#rolloutKey = key;
        this.#rolloutLine = message;
        this.#rolloutAt = now;
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
