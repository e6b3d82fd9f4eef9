import { randomUUID } from "node:crypto";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { notFound, RampartError } from "../shared/errors.ts";
import type { Contact, OncallFile } from "./oncall.schema.ts";
import type { OnCallView, StoredOverride, WhoView } from "./oncall.types.ts";
import type { OverrideStore } from "./override.store.ts";
import { onCallAt, type Override } from "./rotation.ts";

/** An override longer than this is a change to the rotation. */
export const MAX_OVERRIDE_MS = 90 * 86_400_000;

/**
 * Who is on call (rotations from rampart.yaml, overrides from the manifest and from the API) and the overrides
 * themselves, each change with its oncall.override_* event. The manifest is read at each use, so a reload applies.
 */
export class OncallService {
  readonly #deps: { store: OverrideStore; events: EventLog; clock: Clock; oncall: () => OncallFile | undefined };

  constructor(deps: { store: OverrideStore; events: EventLog; clock: Clock; oncall: () => OncallFile | undefined }) {
    this.#deps = deps;
  }

  async who(at?: number): Promise<WhoView> {
    const when = at ?? this.#deps.clock.now();
    const file = this.#deps.oncall();
    const stored = await this.#deps.store.current(when);
    const schedules = Object.entries(file?.schedules ?? {}).map(([name, s]): OnCallView => {
      const overrides: Override[] = [...(s.overrides ?? []), ...stored.filter((o) => o.schedule === name)];
      const on = onCallAt(s.rotation, s.time_zone, overrides, when);
      return { schedule: name, timeZone: s.time_zone, ...on, contact: this.contactOf(on.user) };
    });
    return { at: when, schedules };
  }

  /** The person on call in one schedule now; undefined when the schedule is not declared. */
  async onCall(schedule: string, at?: number): Promise<OnCallView | undefined> {
    return (await this.who(at)).schedules.find((s) => s.schedule === schedule);
  }

  contactOf(user: string): Contact | null {
    return this.#deps.oncall()?.people?.[user] ?? null;
  }

  async createOverride(
    input: { schedule: string; user: string; from: number; to: number; reason?: string },
    actor: string,
  ): Promise<StoredOverride> {
    const declared = Object.keys(this.#deps.oncall()?.schedules ?? {});
    if (!declared.includes(input.schedule))
      throw new RampartError(
        "invalid_request",
        `schedule ${JSON.stringify(input.schedule)} is not declared in rampart.yaml oncall.schedules`,
        {
          details: [{ field: "body.schedule", message: `one of: ${declared.join(", ") || "none declared"}` }],
          hint: "list the schedules with: rampart oncall who",
        },
      );
    const now = this.#deps.clock.now();
    if (!(input.from < input.to) || input.to - input.from > MAX_OVERRIDE_MS || input.to <= now)
      throw new RampartError("invalid_request", `an override runs from before its end, for at most 90 days, and ends in the future`, {
        details: [{ field: "body.to", message: `from ${new Date(input.from).toISOString()} to ${new Date(input.to).toISOString()}` }],
        hint: "e.g. rampart oncall override --schedule primary --user carol --from 2026-03-28T18:00:00+01:00 --to 2026-03-30T09:00:00+02:00",
      });
    const override: StoredOverride = {
      id: randomUUID(),
      schedule: input.schedule,
      user: input.user,
      from: input.from,
      to: input.to,
      reason: input.reason?.trim() ?? "",
      createdBy: actor,
      createdAt: now,
    };
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.store.insert(trx, override);
      await emit({
        type: "oncall.override_created",
        message: `${override.user} on call for ${override.schedule} from ${iso(override.from)} to ${iso(override.to)}${override.reason ? `: ${override.reason}` : ""}`,
        actor,
        data: { ...override },
      });
    });
    return override;
  }

  async removeOverride(id: string, actor: string): Promise<StoredOverride> {
    const found = await this.#deps.store.get(id);
    if (!found) throw notFound(`override ${id}`, "list overrides with: rampart oncall overrides");
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.store.remove(trx, id, this.#deps.clock.now(), actor);
      await emit({
        type: "oncall.override_removed",
        message: `override of ${found.schedule} by ${found.user} (${iso(found.from)} to ${iso(found.to)}) removed`,
        actor,
        data: { ...found },
      });
    });
    return found;
  }

  overrides(): Promise<StoredOverride[]> {
    return this.#deps.store.current(this.#deps.clock.now());
  }
}

const iso = (at: number) => new Date(at).toISOString();
