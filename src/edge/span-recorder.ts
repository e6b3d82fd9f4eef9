import { isFailedRequest } from "../shared/measurement.ts";
import type { EdgeSpan } from "./edge-stats.types.ts";

/** Spans kept per worker between two collections (one second); beyond it sampled spans are dropped, errors too. */
const MAX_SPANS = 5_000;

/**
 * The edge's server spans waiting for the next collection. Which requests get one: the sampled ones (the
 * trace's sampled flag) plus every error (5xx) and every slow request, decided when the request ends.
 */
export class SpanRecorder {
  private spans: EdgeSpan[] = [];
  dropped = 0;

  shouldKeep(sampled: boolean, status: number, durationMs: number, slowMs: number): boolean {
    return sampled || isFailedRequest(status) || durationMs >= slowMs;
  }

  add(span: EdgeSpan): void {
    if (this.spans.length >= MAX_SPANS) {
      this.dropped++;
      return;
    }
    this.spans.push(span);
  }

  drain(): EdgeSpan[] {
    const out = this.spans;
    this.spans = [];
    this.dropped = 0;
    return out;
  }
}
