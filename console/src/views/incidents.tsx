import { api } from "../api.ts";
import { useLiveData } from "../live.ts";
import { href } from "../router.ts";
import { permit, type Session } from "../session.ts";
import { ActionButton, ago, clock, ErrorBox, Loading, Section, Table } from "../ui.tsx";
import type { IncidentStatus } from "../../../src/incidents/incident.types.ts";
import { PostmortemEditor } from "./postmortem.tsx";

export function IncidentsView() {
  const { data, error } = useLiveData(
    () => api.incidents({ status: "all" }),
    (e) => e.type.startsWith("incident."),
  );
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  return (
    <div class="stack">
      <h1>Incidents</h1>
      {data.proposals.length > 0 && (
        <Section title="Proposed">
          <ul class="list">
            {data.proposals.map((p) => (
              <li key={JSON.stringify(p)}>{JSON.stringify(p)}</li>
            ))}
          </ul>
        </Section>
      )}
      <Table
        caption="Incidents"
        rows={data.incidents}
        rowKey={(i) => String(i.id)}
        empty="No incident yet."
        columns={[
          { key: "id", label: "#", sort: (i) => i.id, render: (i) => <a href={href("incidents", i.id)}>#{i.id}</a> },
          { key: "sev", label: "Severity", sort: (i) => i.severity, render: (i) => `SEV-${i.severity}` },
          { key: "t", label: "Title", sort: (i) => i.title, render: (i) => <a href={href("incidents", i.id)}>{i.title}</a> },
          {
            key: "s",
            label: "Status",
            sort: (i) => i.status,
            render: (i) => <span class={i.status === "resolved" ? "ok" : "bad"}>{i.status}</span>,
          },
          { key: "w", label: "App / env", render: (i) => `${i.app ?? "—"} / ${i.env ?? "—"}` },
          { key: "o", label: "Opened", sort: (i) => i.openedAt, render: (i) => ago(i.openedAt) },
          { key: "c", label: "Commander", render: (i) => i.roles.commander ?? "—" },
          { key: "p", label: "Postmortem", render: (i) => i.postmortem },
        ]}
      />
    </div>
  );
}

const NEXT: Partial<Record<IncidentStatus, IncidentStatus>> = {
  investigating: "identified",
  identified: "monitoring",
  monitoring: "resolved",
};

/** One incident: facts, its timeline (from the event log), and moving its status on. */
export function IncidentView(props: { session: Session; id: number }) {
  const { id, session } = props;
  const { data, error, reload } = useLiveData(
    async () => {
      const [incident, timeline] = await Promise.all([api.incident(id), api.incidentTimeline(id)]);
      return { incident, timeline };
    },
    (e) =>
      e.type.startsWith("incident.") || e.type.startsWith("postmortem.") || e.type.startsWith("alert.") || e.type.startsWith("release."),
    [id],
  );
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  const { incident } = data;
  const next = NEXT[incident.status];
  return (
    <div class="stack">
      <h1>
        Incident #{incident.id}: {incident.title} <span class="tag">SEV-{incident.severity}</span>
      </h1>
      <ErrorBox error={error} />
      <Section
        title="Status"
        actions={
          next && (
            <ActionButton
              label={`Mark ${next}`}
              permit={permit(session, "rollout.steer", null)}
              confirm={{ title: `Mark incident #${incident.id} ${next}?`, body: <p>It is {incident.status} now.</p>, yes: `Mark ${next}` }}
              run={() => api.setIncidentStatus(incident.id, next)}
              onDone={reload}
            />
          )
        }
      >
        <dl class="facts">
          <dt>Status</dt>
          <dd>{incident.status}</dd>
          <dt>Where</dt>
          <dd>
            {incident.app ?? "—"} / {incident.env ?? "—"}
          </dd>
          <dt>Opened</dt>
          <dd>
            {clock(incident.openedAt)} by {incident.openedBy}
          </dd>
          <dt>Roles</dt>
          <dd>
            {Object.entries(incident.roles)
              .filter(([, who]) => who)
              .map(([role, who]) => `${role}: ${who}`)
              .join(", ") || "none assigned"}
          </dd>
          {incident.suspect && (
            <>
              <dt>Suspect change</dt>
              <dd>{JSON.stringify(incident.suspect)}</dd>
            </>
          )}
          <dt>Postmortem</dt>
          <dd>{incident.postmortem}</dd>
        </dl>
      </Section>
      <Section title="Timeline">
        <ol class="timeline">
          {data.timeline.map((t, i) => (
            <li key={`${t.eventId ?? "m"}-${i}`} class={t.kind}>
              <time dateTime={new Date(t.at).toISOString()}>{clock(t.at)}</time> <span class="tag">{t.type}</span> {t.message}{" "}
              <span class="muted">{t.actor}</span>
            </li>
          ))}
        </ol>
      </Section>
      <PostmortemEditor key={incident.id} session={session} id={incident.id} />
    </div>
  );
}
