import type { IncomingHttpHeaders } from "node:http";
import type { CompiledApp } from "./compiled-table.ts";
import type { FailedUserSeries } from "./edge-stats.types.ts";
import { stickyKeyOf, stickyPosition } from "./sticky-split.ts";

/** Bounds memory when a flood of failing requests each carries a different key. */
const MAX_KEYS = 20_000;

/**
 * The users a failed request belonged to, for an incident's "distinct users affected": the 32-bit hash of the
 * request's sticky key (the manifest's cookie or header, else the edge's own cookie), never the key itself. Only
 * failed requests pay for it, and only when they carry a key; a request without one is nobody the edge can count.
 */
export class FailedUsers {
  private series = new Map<string, FailedUserSeries>();
  private keys = 0;
  /** Keys not kept because the bound was reached since the last drain (the count is then a lower bound). */
  dropped = 0;

  record(
    env: string,
    app: Pick<CompiledApp, "name" | "sticky">,
    release: number,
    headers: IncomingHttpHeaders,
    cookieHeader: string | undefined,
  ): void {
    const key = stickyKeyOf(app.sticky, headers, cookieHeader);
    if (key === undefined) return;
    if (this.keys >= MAX_KEYS) {
      this.dropped++;
      return;
    }
    const id = `${env}\u0000${app.name}\u0000${release}`;
    let s = this.series.get(id);
    if (s === undefined) this.series.set(id, (s = { env, app: app.name, release, keys: [] }));
    s.keys.push(Math.floor(stickyPosition(key) * 0x1_0000_0000));
    this.keys++;
  }

  drain(): FailedUserSeries[] {
    const out = [...this.series.values()];
    this.series = new Map();
    this.keys = 0;
    this.dropped = 0;
    return out;
  }
}

/** Workers' keys into one list per env × app × release (a user failing on two workers is counted once later). */
export function mergeFailedUsers(into: Map<string, FailedUserSeries>, from: readonly FailedUserSeries[]): void {
  for (const s of from) {
    const id = `${s.env}\u0000${s.app}\u0000${s.release}`;
    const existing = into.get(id);
    if (existing === undefined) into.set(id, { ...s, keys: s.keys.slice() });
    else for (const k of s.keys) existing.keys.push(k);
  }
}
