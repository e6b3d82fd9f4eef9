import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { RampartError } from "../shared/errors.ts";
import type { LinkClaim } from "./action-link.ts";
import { oncallDb } from "./oncall-tables.ts";

/** Makes each action link act once: the first use is recorded (with oncall.link_used) before the action runs. */
export class ActionLinkUses {
  readonly #deps: { db: Db; events: EventLog; clock: Clock };

  constructor(deps: { db: Db; events: EventLog; clock: Clock }) {
    this.#deps = deps;
  }

  async claim(claim: LinkClaim, actor: string): Promise<void> {
    const used = () =>
      new RampartError("action_link_used", `this link (${claim.action} ${claim.target}) was already used`, {
        hint: "check what happened with rampart events --since 1h; act again from the CLI if needed",
      });
    const existing = await oncallDb(this.#deps.db)
      .selectFrom("oncall_action_links")
      .select("used_by")
      .where("nonce", "=", claim.nonce)
      .executeTakeFirst();
    if (existing) throw used();
    try {
      await this.#deps.events.transact(async (trx, emit) => {
        await oncallDb(trx)
          .insertInto("oncall_action_links")
          .values({ nonce: claim.nonce, action: claim.action, target: claim.target, used_by: actor, used_at: this.#deps.clock.now() })
          .execute();
        await emit({
          type: "oncall.link_used",
          message: `${actor} used a notification link: ${claim.action} ${claim.target}`,
          actor,
          data: { action: claim.action, target: claim.target, expiresAt: claim.expiresAt },
        });
      });
    } catch (error) {
      // Two clicks at once: the second insert hits the primary key.
      if (/UNIQUE|unique|duplicate/.test(String(error))) throw used();
      throw error;
    }
  }
}
