import { randomUUID } from "node:crypto";
import type { EventLog } from "../../events/event-log.ts";
import type { Clock } from "../../shared/clock.ts";
import { notFound, RampartError } from "../../shared/errors.ts";
import { matchesAll, parseMatcher, type LabelMatcher } from "./label-matcher.ts";
import type { SilenceStore } from "./silence.store.ts";
import { isActive, type Silence } from "./silence.types.ts";

/** A silence longer than this is a rule that should be switched off instead. */
export const MAX_SILENCE_MS = 30 * 86_400_000;

export type SilenceView = Silence & { state: "active" | "pending" | "expired" };

/**
 * Creates and expires silences (each with its silence.* event) and keeps the current ones in memory, so the
 * dispatcher reads them synchronously on every flush.
 */
export class SilenceService {
  readonly #deps: { store: SilenceStore; events: EventLog; clock: Clock };
  #current: readonly Silence[] = [];

  constructor(deps: { store: SilenceStore; events: EventLog; clock: Clock }) {
    this.#deps = deps;
  }

  /** Loads the silences that have not ended (at start-up, and after each change). */
  async load(): Promise<void> {
    this.#current = await this.#deps.store.current(this.#deps.clock.now());
  }

  /** What the dispatcher consults: every silence not yet ended at the last load (isActive decides per flush). */
  current(): readonly Silence[] {
    return this.#current;
  }

  async create(
    input: { matchers: readonly string[]; durationMs: number; reason: string; startsAt?: number },
    actor: string,
  ): Promise<SilenceView> {
    const parsed = validateMatchers(input.matchers);
    if (!(input.durationMs > 0 && input.durationMs <= MAX_SILENCE_MS)) {
      throw new RampartError("invalid_request", `a silence lasts from 1s to 30d; got ${Math.round(input.durationMs / 1000)}s`, {
        details: [{ field: "body.duration", message: "from 1s to 30d" }],
        hint: 'pass --for with a duration such as 2h, e.g. rampart silence create --match app=api --for 2h --reason "…"',
      });
    }
    const reason = input.reason.trim();
    if (reason.length === 0) {
      throw new RampartError("invalid_request", "a silence needs a reason: whoever is paged next wants to know why it is quiet", {
        details: [{ field: "body.reason", message: "must not be empty" }],
        hint: 'add --reason "…", e.g. rampart silence create --match app=api --for 2h --reason "migrating the database"',
      });
    }
    const now = this.#deps.clock.now();
    const startsAt = input.startsAt ?? now;
    const silence: Silence = {
      id: randomUUID(),
      matchers: parsed.map((m) => `${m.name}${m.op}${m.value}`),
      author: actor,
      reason,
      startsAt,
      endsAt: startsAt + input.durationMs,
      expiredAt: null,
      expiredBy: null,
    };
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.store.insert(trx, silence);
      await emit({
        type: "silence.created",
        message: `silence ${silence.id} on ${silence.matchers.join(", ")} until ${new Date(silence.endsAt).toISOString()}: ${reason}`,
        actor,
        ...scope(parsed),
        data: { id: silence.id, matchers: silence.matchers, reason, startsAt: silence.startsAt, endsAt: silence.endsAt },
      });
    });
    await this.load();
    return view(silence, now);
  }

  /** Ends a silence now; expiring one that already ended changes nothing and answers it as it is. */
  async expire(id: string, actor: string): Promise<SilenceView> {
    const now = this.#deps.clock.now();
    const found = await this.#deps.store.get(id);
    if (!found) throw notFound(`silence ${id}`, "list silences with: rampart silence list");
    if (view(found, now).state === "expired") return view(found, now);
    const expired: Silence = { ...found, expiredAt: now, expiredBy: actor };
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.store.expire(trx, id, now, actor);
      await emit({
        type: "silence.expired",
        message: `silence ${id} on ${found.matchers.join(", ")} expired by ${actor}`,
        actor,
        ...scope(validateMatchers(found.matchers)),
        data: { id, matchers: found.matchers, reason: found.reason },
      });
    });
    await this.load();
    return view(expired, now);
  }

  async list(options: { all: boolean }): Promise<SilenceView[]> {
    const now = this.#deps.clock.now();
    const rows = options.all ? await this.#deps.store.all(500) : await this.#deps.store.current(now);
    return rows.map((s) => view(s, now));
  }
}

function view(s: Silence, now: number): SilenceView {
  const state = isActive(s, now) ? "active" : s.startsAt > now && s.expiredAt === null ? "pending" : "expired";
  return { ...s, state };
}

/** The event's env/app when the silence names exactly one, so it shows on that app's timeline. */
function scope(matchers: readonly LabelMatcher[]): { env?: string; app?: string } {
  const eq = (name: string) => matchers.find((m) => m.name === name && m.op === "=")?.value;
  const env = eq("env");
  const app = eq("app");
  return { ...(env ? { env } : {}), ...(app ? { app } : {}) };
}

function validateMatchers(texts: readonly string[]): LabelMatcher[] {
  if (texts.length === 0) {
    throw new RampartError("invalid_request", "a silence needs at least one label matcher", {
      details: [{ field: "body.matchers", message: "at least one matcher" }],
      hint: 'add --match, e.g. rampart silence create --match app=api --for 2h --reason "…"',
    });
  }
  const parsed = texts.map((text) => {
    const result = parseMatcher(text);
    if (!result.ok)
      throw new RampartError("invalid_request", result.message, { hint: 'matchers look like app=api, env!=staging, app=~"api|web"' });
    return result.matcher;
  });
  // As Alertmanager: a silence whose matchers all match an alert with no labels would mute everything.
  if (matchesAll(parsed, {})) {
    throw new RampartError("invalid_request", `the matchers ${texts.join(", ")} would silence every alert`, {
      details: [{ field: "body.matchers", message: "would match every alert" }],
      hint: "add a matcher that names something, e.g. --match app=api",
    });
  }
  return parsed;
}
