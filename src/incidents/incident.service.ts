import type { AlertInstance } from "../alerts/alert.types.ts";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { NewEvent, RampartEvent } from "../events/event.types.ts";
import type { Clock } from "../shared/clock.ts";
import { conflict, notFound, RampartError } from "../shared/errors.ts";
import { logger } from "../shared/logger.ts";
import { computeDora, DAY_MS, type DoraReport, type IncidentAttribution, type IncidentTimes } from "./dora.ts";
import { analyse, type IncidentAnalysis } from "./incident-analysis.ts";
import { IncidentStore, type IncidentPatch, type IncidentRecord } from "./incident.store.ts";
import {
  severityMeaning,
  type IncidentProposal,
  type IncidentRole,
  type IncidentSeverity,
  type IncidentStatus,
  type IncidentView,
  type Postmortem,
  type PostmortemEdit,
  type TimelineEntry,
} from "./incident.types.ts";
import { draftPostmortem, postmortemState, requiredBecause } from "./postmortem.ts";

export interface OpenIncident {
  title: string;
  severity: IncidentSeverity;
  env?: string | null;
  app?: string | null;
}

/**
 * Incidents: opened by hand or by a critical alert, moved through investigating → identified → monitoring →
 * resolved. Each change is written with its event; the timeline, impact, suspect change and postmortem draft are
 * read from the event log and the edge's measurements whenever asked for, so they are never out of date.
 */
export class IncidentService {
  readonly #db: Db;
  readonly #events: EventLog;
  readonly #clock: Clock;
  readonly #store: IncidentStore;
  readonly #page: ((incident: IncidentView, commands: string[]) => void) | undefined;

  /** `page` sends an opened SEV-1/2 to whoever is paged for critical alerts (the composition root wires notification). */
  constructor(deps: { db: Db; events: EventLog; clock: Clock; page?: (incident: IncidentView, commands: string[]) => void }) {
    this.#db = deps.db;
    this.#events = deps.events;
    this.#clock = deps.clock;
    this.#store = new IncidentStore(deps.db);
    this.#page = deps.page;
  }

  async open(input: OpenIncident, actor: string, detected?: { at: number; alert: string }): Promise<IncidentView> {
    const now = this.#clock.now();
    const record = await this.#events.transact(async (trx, emit) => {
      const created = await this.#store.insert(
        trx,
        {
          title: input.title,
          severity: input.severity,
          status: "investigating",
          env: input.env ?? null,
          app: input.app ?? null,
          openedAt: now,
          openedBy: actor,
          impactStartedAt: null,
          detectedAt: detected?.at ?? now,
          acknowledgedAt: null,
          mitigatedAt: null,
          resolvedAt: null,
          roles: { commander: null, scribe: null, communications: null, sme: [] },
          alerts: detected ? [detected.alert] : [],
        },
        now,
      );
      const event = await emit(
        this.#event(created, actor, "incident.opened", `SEV-${created.severity} incident ${created.id} opened: ${created.title}`, {
          severity: created.severity,
          meaning: severityMeaning[created.severity],
          alert: detected?.alert ?? null,
        }),
      );
      if (event.at !== now) await this.#store.update(trx, created.id, { detectedAt: detected?.at ?? event.at }, event.at, event.at);
      return created;
    });
    const view = await this.view(record.id);
    // SEV-1 and SEV-2 page at once, any hour (docs/incidents.md); a failing receiver must not undo the opening.
    if (view.severity <= 2 && this.#page) {
      try {
        this.#page(view, responseCommands(view.id));
      } catch (error) {
        logger.warn({ err: error, incident: view.id }, "could not page the incident's responders; it is open all the same");
      }
    }
    return view;
  }

  async list(filter: { open?: boolean; env?: string; app?: string } = {}): Promise<IncidentView[]> {
    const records = await this.#store.list(filter);
    return Promise.all(records.map((r) => this.#viewOf(r, null)));
  }

  async view(id: number): Promise<IncidentView> {
    const record = await this.#get(id);
    return this.#viewOf(record, await analyse({ db: this.#db, events: this.#events }, record, this.#clock.now()));
  }

  async timeline(id: number): Promise<TimelineEntry[]> {
    const record = await this.#get(id);
    return (await analyse({ db: this.#db, events: this.#events }, record, this.#clock.now())).timeline;
  }

  async setStatus(id: number, status: IncidentStatus, actor: string, message?: string): Promise<IncidentView> {
    const record = await this.#open(id);
    if (record.status === status) return this.view(id);
    const derived =
      status === "monitoring" || status === "resolved"
        ? await analyse({ db: this.#db, events: this.#events }, record, this.#clock.now())
        : null;
    const sets: string[] = [];
    if (actor !== "rampart" && record.acknowledgedAt === null) sets.push("acknowledged");
    if (derived && record.mitigatedAt === null) sets.push("mitigated");
    if (status === "resolved") sets.push("resolved");
    await this.#events.transact(async (trx, emit) => {
      const event = await emit(
        this.#event(
          record,
          actor,
          "incident.status_changed",
          `incident ${id}: ${record.status} → ${status}${message ? `: ${message}` : ""}`,
          {
            from: record.status,
            to: status,
            note: message ?? null,
            sets,
            mitigatedBy: derived?.mitigation?.id ?? null,
          },
        ),
      );
      // The timestamps set here are the event's own time, so the incident and its log agree to the millisecond.
      const patch: IncidentPatch = { status };
      if (sets.includes("acknowledged")) patch.acknowledgedAt = event.at;
      if (sets.includes("mitigated")) patch.mitigatedAt = derived?.mitigatedAt ?? event.at;
      if (status === "resolved") {
        patch.resolvedAt = event.at;
        // Kept from now on, so the postmortem's numbers stay what they were when it was resolved.
        patch.impactStartedAt = record.impactStartedAt ?? derived?.impactStartedAt ?? null;
        patch.detectedAt = derived?.detectedAt ?? record.detectedAt;
      }
      await this.#store.update(trx, id, patch, event.at);
    });
    return this.view(id);
  }

  async assignRole(id: number, role: IncidentRole, person: string, actor: string): Promise<IncidentView> {
    const record = await this.#open(id);
    const roles = { ...record.roles, sme: [...record.roles.sme] };
    if (role === "sme") {
      if (!roles.sme.includes(person)) roles.sme.push(person);
    } else roles[role] = person;
    await this.#events.transact(async (trx, emit) => {
      const event = await emit(
        this.#event(record, actor, "incident.role_assigned", `incident ${id}: ${person} is ${roleName(role)}`, { role, person }),
      );
      await this.#store.update(
        trx,
        id,
        { roles, acknowledgedAt: record.acknowledgedAt ?? (actor === "rampart" ? null : event.at) },
        event.at,
      );
    });
    return this.view(id);
  }

  async note(id: number, text: string, actor: string): Promise<RampartEvent> {
    const record = await this.#get(id);
    return this.#events.transact(async (trx, emit) => {
      const event = await emit(this.#event(record, actor, "incident.note", text, {}));
      if (record.acknowledgedAt === null && record.status !== "resolved" && actor !== "rampart") {
        await this.#store.update(trx, id, { acknowledgedAt: event.at }, event.at);
      }
      return event;
    });
  }

  /**
   * The alerting hook (wired by the composition root): a critical alert that fires opens an incident for its
   * environment and app, or joins the one already open there instead of opening a second.
   */
  async onAlertFiring(alert: AlertInstance): Promise<IncidentView | null> {
    if (alert.state !== "firing" || alert.labels.severity !== "critical") return null;
    const env = alert.labels.env ?? null;
    const app = alert.labels.app ?? null;
    const open = (await this.#store.list({ open: true })).find((i) => i.env === env && i.app === app);
    if (open) {
      if (open.alerts.includes(alert.fingerprint)) return this.view(open.id);
      const now = this.#clock.now();
      await this.#events.transact(async (trx, emit) => {
        await this.#store.update(trx, open.id, { alerts: [...open.alerts, alert.fingerprint] }, now);
        await emit(
          this.#event(open, "rampart", "incident.alert_joined", `alert ${alert.rule} joined incident ${open.id}`, {
            alert: alert.fingerprint,
            rule: alert.rule,
          }),
        );
      });
      return this.view(open.id);
    }
    // Handled already when its condition held (pending, or firing) when the app's last incident was resolved: still
    // firing from before that incident's resolution (it joined it, or opened it), or an error ratio over a minute
    // that still counts the failures of a release rolled back seconds ago, whose `for` ends after someone closed
    // the incident by hand. It still notifies as any alert. The same alert firing again after it resolved has a
    // later activeAt and opens a new incident. (An incident an alert joined or opened is of the alert's env and app.)
    const handled = (await this.#store.list({ env: env ?? undefined, app: app ?? undefined })).some(
      (i) => i.resolvedAt !== null && i.env === env && i.app === app && i.resolvedAt >= alert.activeAt,
    );
    if (handled) return null;
    const asked = Number(alert.labels.incident_severity);
    const severity: IncidentSeverity = asked === 1 || asked === 3 || asked === 4 ? asked : 2;
    const title = alert.annotations.summary ?? `${alert.rule} firing`;
    return this.open({ title, severity, env, app }, "rampart", { at: alert.firedAt ?? this.#clock.now(), alert: alert.fingerprint });
  }

  /** After an automatic rollback with no incident open for that app: propose one (an event `incident list` shows). */
  async onEvent(event: RampartEvent): Promise<void> {
    if (event.type !== "release.rolled_back" || event.actor !== "rampart" || event.env === null || event.app === null) return;
    const open = await this.#store.list({ open: true, env: event.env, app: event.app });
    if (open.length > 0) return;
    await this.#events.append({
      type: "incident.proposed",
      env: event.env,
      app: event.app,
      release: event.release ?? undefined,
      message: `release ${event.release} of ${event.app} in ${event.env} was rolled back automatically: open an incident? rampart incident open --sev 3 --env ${event.env} --app ${event.app} "TITLE"`,
      data: { rolledBackEvent: event.id },
    });
  }

  /** Proposals of the last week not followed by an incident of the same environment and app. */
  async proposals(): Promise<IncidentProposal[]> {
    const since = this.#clock.now() - 7 * DAY_MS;
    const proposed = await this.#events.query({ type: "incident.proposed", since, limit: 1000 });
    const incidents = await this.#store.list();
    return proposed
      .filter((p) => !incidents.some((i) => i.env === p.env && i.app === p.app && i.openedAt >= p.at))
      .map((p) => ({ eventId: p.id, at: p.at, env: p.env, app: p.app, release: p.release, message: p.message }));
  }

  async postmortem(id: number): Promise<Postmortem> {
    const record = await this.#get(id);
    const analysis = await analyse({ db: this.#db, events: this.#events }, record, this.#clock.now());
    return draftPostmortem(record, analysis, await this.#store.postmortem(id));
  }

  /**
   * People's text over the draft: fields given replace the saved ones (lists whole), the rest stay. With
   * `ifEditedAt` (the editedAt the edit began from; null: the draft nobody saved yet) a save made since is not
   * overwritten: two people editing at once each keep their text.
   */
  async editPostmortem(id: number, edit: PostmortemEdit, actor: string, ifEditedAt?: number | null): Promise<Postmortem> {
    const record = await this.#get(id);
    const saved = await this.#store.postmortem(id);
    if (ifEditedAt !== undefined && (saved?.updatedAt ?? null) !== ifEditedAt) throw await this.#postmortemChanged(id, ifEditedAt);
    const edits = { ...(saved?.edits ?? {}), ...edit };
    // The saved version this edit was merged over: the write checks it is still the saved one (a save racing in
    // between the read above and this write is refused, not overwritten).
    const over = ifEditedAt === undefined ? undefined : (saved?.updatedAt ?? null);
    const written = await this.#events.transact(async (trx, emit) => {
      if (!(await this.#store.savePostmortem(trx, id, edits, actor, this.#clock.now(), over))) return false;
      await emit(
        this.#event(
          record,
          actor,
          "postmortem.edited",
          `postmortem of incident ${id} edited: ${Object.keys(edit).join(", ") || "nothing"}`,
          {
            fields: Object.keys(edit),
          },
        ),
      );
      return true;
    });
    if (!written) throw await this.#postmortemChanged(id, ifEditedAt ?? null);
    return this.postmortem(id);
  }

  async #postmortemChanged(id: number, ifEditedAt: number | null): Promise<RampartError> {
    const saved = await this.#store.postmortem(id);
    const when = saved ? new Date(saved.updatedAt).toISOString() : "never";
    return conflict(
      "postmortem_changed",
      `incident ${id}'s postmortem was saved by ${saved?.updatedBy ?? "nobody"} at ${when}, after this edit began (from ${ifEditedAt === null ? "the generated draft" : new Date(ifEditedAt).toISOString()}); nothing was saved`,
      `read theirs with rampart postmortem show ${id}, then make the edit again on top of it`,
    );
  }

  async completeActionItem(id: number, index: number, actor: string): Promise<Postmortem> {
    const record = await this.#get(id);
    const saved = await this.#store.postmortem(id);
    const items = saved?.edits.actionItems ?? [];
    const item = items[index - 1];
    if (!item) {
      throw new RampartError("not_found", `incident ${id}'s postmortem has no action item ${index} (it has ${items.length})`, {
        hint: `rampart postmortem show ${id} lists the action items, numbered from 1`,
      });
    }
    const actionItems = items.map((a, i) => (i === index - 1 ? { ...a, done: true } : a));
    await this.#events.transact(async (trx, emit) => {
      await this.#store.savePostmortem(trx, id, { ...saved?.edits, actionItems }, actor, this.#clock.now());
      await emit(
        this.#event(record, actor, "postmortem.action_done", `incident ${id} action item ${index} done: ${item.text}`, {
          item: index,
          text: item.text,
          owner: item.owner,
        }),
      );
    });
    return this.postmortem(id);
  }

  async dora(query: { env: string; app?: string; sinceMs: number }): Promise<DoraReport> {
    const until = this.#clock.now();
    const since = until - query.sinceMs;
    // Releases are created before they take traffic: read a day more, so a deploy at the window's start has its creation.
    const events = await this.#events.query({ env: query.env, app: query.app, type: "release.", since: since - DAY_MS, limit: 10_000 });
    const attributions: IncidentAttribution[] = [];
    const times: IncidentTimes[] = [];
    for (const incident of await this.#store.list({ env: query.env, app: query.app })) {
      if (incident.openedAt < since) continue;
      const analysis = await analyse({ db: this.#db, events: this.#events }, incident, until);
      times.push(analysis.measures);
      const suspect = analysis.suspect;
      if (incident.app === null || !suspect || suspect.release === null || !suspect.type.startsWith("release.")) continue;
      attributions.push({
        env: query.env,
        app: incident.app,
        release: suspect.release,
        impactStartedAt: analysis.impactStartedAt ?? incident.detectedAt,
        recoveredAt: analysis.mitigatedAt ?? incident.resolvedAt,
      });
    }
    return computeDora(events, { env: query.env, app: query.app, since, until }, attributions, times);
  }

  async #get(id: number): Promise<IncidentRecord> {
    const record = await this.#store.get(id);
    if (!record) throw notFound(`incident ${id}`, "rampart incident list shows the incidents and their ids");
    return record;
  }

  async #open(id: number): Promise<IncidentRecord> {
    const record = await this.#get(id);
    if (record.status === "resolved") {
      throw conflict("incident_resolved", `incident ${id} is resolved: its status and roles no longer change`);
    }
    return record;
  }

  #viewOf(record: IncidentRecord, analysis: IncidentAnalysis | null): Promise<IncidentView> {
    return this.#store.postmortem(record.id).then((saved) => {
      const impactStarted = analysis?.impactStartedAt ?? record.impactStartedAt;
      const mitigated = analysis?.mitigatedAt ?? record.mitigatedAt;
      const required = requiredBecause(record, analysis?.rolledBack ?? false).length > 0;
      return {
        id: record.id,
        title: record.title,
        severity: record.severity,
        status: record.status,
        env: record.env,
        app: record.app,
        openedAt: record.openedAt,
        openedBy: record.openedBy,
        roles: record.roles,
        alerts: record.alerts,
        timestamps: {
          impactStarted,
          detected: analysis?.detectedAt ?? record.detectedAt,
          acknowledged: record.acknowledgedAt,
          mitigated,
          resolved: record.resolvedAt,
        },
        measures: analysis?.measures ?? {
          mttdMs: impactStarted === null ? null : Math.max(0, record.detectedAt - impactStarted),
          mttaMs: record.acknowledgedAt === null ? null : record.acknowledgedAt - record.detectedAt,
          mttmMs: mitigated === null ? null : mitigated - (impactStarted ?? record.detectedAt),
          mttrMs: record.resolvedAt === null ? null : record.resolvedAt - (impactStarted ?? record.detectedAt),
        },
        suspect: analysis?.suspect ?? null,
        postmortem: postmortemState(required, saved),
      };
    });
  }

  #event(record: IncidentRecord, actor: string, type: NewEvent["type"], message: string, data: Record<string, unknown>): NewEvent {
    return { type, actor, message, env: record.env ?? undefined, app: record.app ?? undefined, data: { incident: record.id, ...data } };
  }
}

/** What a paged responder types first: take command, look, and say what is going on. */
export function responseCommands(id: number): string[] {
  return [
    `rampart incident show ${id}`,
    `rampart incident role ${id} commander YOUR_NAME`,
    `rampart incident status ${id} identified -m "WHAT YOU FOUND"`,
  ];
}

function roleName(role: IncidentRole): string {
  return role === "sme" ? "a subject matter expert" : role === "commander" ? "incident commander" : role;
}

/** Runs the proposal hook off the event log without letting its failure reach the writer that published. */
export function listenForRollbacks(events: EventLog, service: IncidentService): () => void {
  return events.subscribe((event) => {
    if (event.type !== "release.rolled_back") return;
    service.onEvent(event).catch((error: unknown) => logger.warn({ err: error }, "could not record an incident proposal after a rollback"));
  });
}
