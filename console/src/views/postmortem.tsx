import { useEffect, useRef, useState } from "preact/hooks";
import type { ActionItem, Postmortem, PostmortemEdit } from "../../../src/incidents/incident.types.ts";
import { api } from "../api.ts";
import { useEvents } from "../live.ts";
import { type Permit, permit, type Session } from "../session.ts";
import { ActionButton, clock, ErrorBox, Loading, Section } from "../ui.tsx";

/** The text fields people write over the generated draft, in the order the postmortem reads. */
const TEXTS = [
  ["summary", "Summary", "what happened, to whom, for how long"],
  ["trigger", "Trigger and contributing factors", "what in the system allowed this; the generated text names the suspect change"],
  ["detection", "Detection", "how it was noticed, and how long that took"],
  ["response", "Response", "who responded and what they did"],
  ["recovery", "Recovery", "what mitigated it and when"],
] as const;
type TextField = (typeof TEXTS)[number][0];

interface Draft extends Record<TextField, string> {
  /** One item a line (what the textareas edit); split back into the API's lists on save. */
  wentWell: string;
  wentBadly: string;
  actionItems: ActionItem[];
  written: boolean;
}

function draftOf(p: Postmortem): Draft {
  return {
    summary: p.summary,
    trigger: p.trigger,
    detection: p.detection,
    response: p.response,
    recovery: p.recovery,
    wentWell: p.wentWell.join("\n"),
    wentBadly: p.wentBadly.join("\n"),
    actionItems: p.actionItems,
    written: p.state === "written",
  };
}

const lines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);

/**
 * Only what the person changed: a field sent is kept as written from then on, so one left alone goes on following
 * the draft as the measurements settle.
 */
export function changedFields(saved: Postmortem, draft: Draft): PostmortemEdit {
  const base = draftOf(saved);
  const edit: PostmortemEdit = {};
  for (const [field] of TEXTS) if (draft[field] !== base[field]) edit[field] = draft[field];
  if (lines(draft.wentWell).join("\n") !== base.wentWell) edit.wentWell = lines(draft.wentWell);
  if (lines(draft.wentBadly).join("\n") !== base.wentBadly) edit.wentBadly = lines(draft.wentBadly);
  if (JSON.stringify(draft.actionItems) !== JSON.stringify(base.actionItems)) edit.actionItems = draft.actionItems;
  if (draft.written !== base.written) edit.written = draft.written;
  return edit;
}

/**
 * The blameless postmortem of one incident: the draft Rampart generated from the timeline and the measurements,
 * edited in place and saved over it. A save names the version it was made on, so a save someone else made
 * meanwhile is refused (409) rather than overwritten; the editor never reloads under a person's typing.
 */
export function PostmortemEditor(props: { session: Session; id: number }) {
  const { id, session } = props;
  const [saved, setSaved] = useState<Postmortem | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [elsewhere, setElsewhere] = useState<string | null>(null);
  /** The editedAt of what this page last loaded or saved (read when an event's answer comes back, later). */
  const heldAt = useRef<number | null>(null);
  const accept = (p: Postmortem) => {
    heldAt.current = p.editedAt;
    setSaved(p);
    setDraft(draftOf(p));
    setElsewhere(null);
  };
  const load = () =>
    api.postmortem(id).then(accept, (failure: unknown) => {
      setError(failure);
    });
  useEffect(() => {
    setSaved(null);
    void load();
  }, [id]);
  const dirty = saved !== null && draft !== null && Object.keys(changedFields(saved, draft)).length > 0;
  /** Whether there are unsaved edits now, read when an event's answer comes back (typing may have begun meanwhile). */
  const dirtyNow = useRef(dirty);
  dirtyNow.current = dirty;
  useEvents(
    (e) => e.type.startsWith("postmortem.") && e.data.incident === id,
    () => {
      // Someone saved: follow them, unless that would throw away what is being typed here, including typing that
      // began while this read was on its way. This page's own save comes back as an event too; it is known by its
      // time, the one the page already holds.
      api.postmortem(id).then(
        (now) => {
          if (!dirtyNow.current) accept(now);
          else if (now.editedAt !== heldAt.current) setElsewhere(`saved by ${now.editedBy ?? "someone"} at ${clock(now.editedAt ?? 0)}`);
        },
        (failure: unknown) => setError(failure),
      );
    },
  );
  if (!saved || !draft) return <Section title="Postmortem">{error ? <ErrorBox error={error} /> : <Loading />}</Section>;
  const may = permit(session, "rollout.steer", null);
  const set = (patch: Partial<Draft>) => setDraft({ ...draft, ...patch });
  const setItem = (i: number, patch: Partial<ActionItem>) =>
    set({ actionItems: draft.actionItems.map((a, j) => (j === i ? { ...a, ...patch } : a)) });
  const save = async () => {
    const edit = changedFields(saved, draft);
    if (Object.keys(edit).length === 0) throw new Error("Nothing to save: every field is as it was loaded.");
    accept(await api.editPostmortem(id, { ...edit, ifEditedAt: saved.editedAt }));
  };
  const impact = saved.impact;
  const min = (v: number | null) => (v === null ? "—" : `${(v / 60_000).toFixed(1)} min`);
  return (
    <Section
      title="Postmortem"
      actions={
        <span class="buttons">
          <span class={`tag ${saved.state === "owed" ? "bad" : saved.state === "written" ? "ok" : ""}`} data-testid="postmortem-state">
            {saved.state}
          </span>
          <ActionButton label="Save postmortem" permit={may} run={save} />
        </span>
      }
    >
      <div class="postmortem stack">
        <p class="muted small">
          Blameless: what in the system allowed this, not who. Generated from the timeline and the measurements
          {saved.editedBy ? `; last saved by ${saved.editedBy} at ${clock(saved.editedAt ?? 0)}` : "; nobody has edited it yet"}.
          {saved.requiredBecause.length > 0 && ` Required: ${saved.requiredBecause.join("; ")}.`}
        </p>
        {!may.allowed && (
          <p class="why" role="note" data-testid="postmortem-readonly">
            Read only: {may.why}. To get access: <code>{may.command}</code>
          </p>
        )}
        {elsewhere && (
          <div class="error" role="alert">
            Someone else saved this postmortem while you were editing ({elsewhere}). Saving now is refused so their text is not lost.{" "}
            <button type="button" onClick={() => void load()}>
              Load the saved version (drops your edits)
            </button>
          </div>
        )}
        <ErrorBox error={error} />
        <dl class="facts" aria-label="Impact">
          <dt>Impact started</dt>
          <dd>{impact.startedAt === null ? "not measured" : clock(impact.startedAt)}</dd>
          <dt>Duration</dt>
          <dd>{min(impact.durationMs)}</dd>
          <dt>Failed requests</dt>
          <dd>
            {impact.failedRequests} of {impact.totalRequests}
            {impact.failedShare === null ? "" : ` (${(impact.failedShare * 100).toFixed(2)}%)`}
          </dd>
          <dt>Users affected</dt>
          <dd>{impact.distinctUsers === null ? "not measured" : `${impact.distinctUsers} (by sticky key)`}</dd>
          <dt>Measured</dt>
          <dd>
            MTTD {min(saved.measures.mttdMs)} · MTTA {min(saved.measures.mttaMs)} · to mitigate {min(saved.measures.mttmMs)} · MTTR{" "}
            {min(saved.measures.mttrMs)} <span class="muted small">({impact.basis})</span>
          </dd>
        </dl>
        {TEXTS.map(([field, label, help]) => (
          <label key={field} class="field">
            <span>
              {label} <span class="muted small">{help}</span>
            </span>
            <textarea
              rows={field === "summary" || field === "trigger" ? 3 : 2}
              value={draft[field]}
              readOnly={!may.allowed}
              onInput={(e) => {
                const next = { ...draft };
                next[field] = e.currentTarget.value;
                setDraft(next);
              }}
            />
          </label>
        ))}
        <div class="two">
          <label class="field">
            <span>
              What went well <span class="muted small">one a line</span>
            </span>
            <textarea rows={3} value={draft.wentWell} readOnly={!may.allowed} onInput={(e) => set({ wentWell: e.currentTarget.value })} />
          </label>
          <label class="field">
            <span>
              What went badly <span class="muted small">one a line</span>
            </span>
            <textarea rows={3} value={draft.wentBadly} readOnly={!may.allowed} onInput={(e) => set({ wentBadly: e.currentTarget.value })} />
          </label>
        </div>
        <ActionItems
          items={draft.actionItems}
          savedCount={saved.actionItems.length}
          dirty={dirty}
          editable={may.allowed}
          onChange={(actionItems) => set({ actionItems })}
          onItem={setItem}
          done={(n) =>
            api.completeActionItem(id, n).then((p) => {
              accept(p);
            })
          }
          permit={may}
        />
        <label class="check">
          <input
            type="checkbox"
            checked={draft.written}
            disabled={!may.allowed}
            onChange={(e) => set({ written: e.currentTarget.checked })}
          />{" "}
          Written: the team considers it done (it is no longer owed)
        </label>
        <p class="muted small" aria-live="polite">
          {dirty ? "Unsaved changes." : "No unsaved changes."}
        </p>
        <details>
          <summary>Timeline in the postmortem ({saved.timeline.length} entries, from the event log)</summary>
          <ol class="timeline">
            {saved.timeline.map((t, i) => (
              <li key={`${t.eventId ?? "m"}-${i}`}>
                <time dateTime={new Date(t.at).toISOString()}>{clock(t.at)}</time> <span class="tag">{t.type}</span> {t.message}{" "}
                <span class="muted">{t.actor}</span>
              </li>
            ))}
          </ol>
        </details>
      </div>
    </Section>
  );
}

function ActionItems(props: {
  items: ActionItem[];
  savedCount: number;
  dirty: boolean;
  editable: boolean;
  permit: Permit;
  onChange: (items: ActionItem[]) => void;
  onItem: (i: number, patch: Partial<ActionItem>) => void;
  done: (n: number) => Promise<void>;
}) {
  const { items, editable } = props;
  return (
    <fieldset class="items">
      <legend>Action items</legend>
      <table class="grid">
        <caption class="sr-only">Action items</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">What</th>
            <th scope="col">Owner</th>
            <th scope="col">Due</th>
            <th scope="col">Done</th>
          </tr>
        </thead>
        <tbody>
          {items.length === 0 && (
            <tr>
              <td colSpan={5} class="muted">
                None yet.
              </td>
            </tr>
          )}
          {items.map((a, i) => (
            <tr key={i} data-testid={`action-item-${i + 1}`}>
              <td>{i + 1}</td>
              <td>
                <input
                  aria-label={`Action item ${i + 1}: what`}
                  value={a.text}
                  readOnly={!editable}
                  onInput={(e) => props.onItem(i, { text: e.currentTarget.value })}
                />
              </td>
              <td>
                <input
                  aria-label={`Action item ${i + 1}: owner`}
                  value={a.owner}
                  readOnly={!editable}
                  onInput={(e) => props.onItem(i, { owner: e.currentTarget.value })}
                />
              </td>
              <td>
                <input
                  type="date"
                  aria-label={`Action item ${i + 1}: due`}
                  value={a.due}
                  readOnly={!editable}
                  onInput={(e) => props.onItem(i, { due: e.currentTarget.value })}
                />
              </td>
              <td>
                {i < props.savedCount && !props.dirty ? (
                  // Saved and nothing pending: done at once, through the API's own action (postmortem.action_done).
                  a.done ? (
                    <span class="ok">done</span>
                  ) : (
                    <ActionButton label={`Mark item ${i + 1} done`} permit={props.permit} run={() => props.done(i + 1)} />
                  )
                ) : editable ? (
                  // New or with unsaved edits: part of the draft, saved with the rest.
                  <label class="check">
                    <input
                      type="checkbox"
                      aria-label={`Action item ${i + 1}: done`}
                      checked={a.done}
                      onChange={(e) => props.onItem(i, { done: e.currentTarget.checked })}
                    />{" "}
                    done
                  </label>
                ) : a.done ? (
                  <span class="ok">done</span>
                ) : (
                  <span class="muted small">open</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editable && (
        <button
          type="button"
          onClick={() =>
            props.onChange([
              ...items,
              { text: "", owner: "", due: new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10), done: false },
            ])
          }
        >
          Add an action item
        </button>
      )}
    </fieldset>
  );
}
