import { useState } from "preact/hooks";
import type { AlertView } from "../../../src/alerts/alert.view.ts";
import { api } from "../api.ts";
import { useLiveData } from "../live.ts";
import { permit, type Session } from "../session.ts";
import { ActionButton, ago, ErrorBox, Loading, Section, Table } from "../ui.tsx";

/** Alerts (firing and pending) with acknowledge, who is on call and the escalations, silences with expire and create. */
export function AlertsView(props: { session: Session }) {
  const { session } = props;
  const { data, error, reload } = useLiveData(
    async () => {
      const [alerts, escalations, silences, who] = await Promise.all([api.alerts(), api.escalations(), api.silences(), api.oncallWho()]);
      return { alerts: alerts.alerts, escalations, silences, who };
    },
    (e) => e.type.startsWith("alert.") || e.type.startsWith("oncall.") || e.type.startsWith("silence."),
  );
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  // Acknowledging has no environment in its route: it is checked as steering everywhere.
  const steer = permit(session, "rollout.steer", null);
  const escalationOf = (a: AlertView) => data.escalations.find((e) => e.fingerprint === a.fingerprint);
  return (
    <div class="stack">
      <h1>Alerts and on-call</h1>
      <ErrorBox error={error} />
      <Section title="Alerts">
        <Table
          caption="Alerts firing and pending"
          rows={data.alerts.filter((a) => a.state !== "resolved")}
          rowKey={(a) => a.fingerprint}
          empty="No alert is firing or pending."
          columns={[
            { key: "rule", label: "Alert", sort: (a) => a.rule, render: (a) => a.rule },
            {
              key: "state",
              label: "State",
              sort: (a) => a.state,
              render: (a) => <span class={a.state === "firing" ? "bad" : "warn"}>{a.state}</span>,
            },
            { key: "sev", label: "Severity", sort: (a) => a.labels.severity ?? "", render: (a) => a.labels.severity ?? "" },
            {
              key: "where",
              label: "App / env",
              sort: (a) => `${a.labels.app}/${a.labels.env}`,
              render: (a) => `${a.labels.app ?? "—"} / ${a.labels.env ?? "—"}`,
            },
            { key: "since", label: "Since", sort: (a) => a.firedAt ?? a.activeAt, render: (a) => ago(a.firedAt ?? a.activeAt) },
            { key: "summary", label: "Summary", render: (a) => a.annotations.summary ?? "" },
            {
              key: "esc",
              label: "Escalation",
              render: (a) => {
                const e = escalationOf(a);
                return e ? `${e.status}${e.endedBy ? ` by ${e.endedBy}` : ` (level ${e.level + 1})`}` : "—";
              },
            },
            {
              key: "ack",
              label: "Action",
              render: (a) =>
                a.state === "firing" && escalationOf(a)?.status !== "acknowledged" ? (
                  <ActionButton label="Acknowledge" permit={steer} run={() => api.ackAlert(a.fingerprint)} onDone={reload} />
                ) : null,
            },
          ]}
        />
      </Section>
      <div class="two">
        <Section title="On call now">
          <Table
            caption="Who is on call"
            rows={data.who.schedules}
            rowKey={(s) => s.schedule}
            empty="No on-call schedule in rampart.yaml."
            columns={[
              { key: "s", label: "Schedule", render: (s) => s.schedule },
              { key: "u", label: "On call", render: (s) => <strong>{s.user}</strong> },
              { key: "o", label: "Override", render: (s) => (s.override ? `for ${s.rotation}` : "") },
              { key: "t", label: "Until", render: (s) => new Date(s.to).toLocaleString() },
            ]}
          />
        </Section>
        <Section title="Silences">
          <Table
            caption="Silences"
            rows={data.silences}
            rowKey={(s) => s.id}
            empty="No silence in force."
            columns={[
              { key: "m", label: "Matchers", render: (s) => <code>{s.matchers.join(", ")}</code> },
              { key: "w", label: "Why", render: (s) => `${s.reason} (${s.author})` },
              { key: "st", label: "State", render: (s) => s.state },
              { key: "e", label: "Ends", render: (s) => new Date(s.endsAt).toLocaleString() },
              {
                key: "x",
                label: "Action",
                render: (s) =>
                  s.state === "expired" ? null : (
                    <ActionButton
                      label="Expire now"
                      permit={steer}
                      confirm={{
                        title: "Expire this silence?",
                        body: <p>Alerts matching {s.matchers.join(", ")} notify again.</p>,
                        yes: "Expire it",
                      }}
                      run={() => api.expireSilence(s.id)}
                      onDone={reload}
                    />
                  ),
              },
            ]}
          />
          <NewSilence session={session} onDone={reload} />
        </Section>
      </div>
    </div>
  );
}

function NewSilence(props: { session: Session; onDone: () => void }) {
  const [matchers, setMatchers] = useState("");
  const [duration, setDuration] = useState("2h");
  const [reason, setReason] = useState("");
  return (
    <form class="inline" aria-label="New silence" onSubmit={(e) => e.preventDefault()}>
      <label>
        Matchers <input value={matchers} placeholder="app=api, env=production" onInput={(e) => setMatchers(e.currentTarget.value)} />
      </label>
      <label>
        For <input value={duration} size={5} onInput={(e) => setDuration(e.currentTarget.value)} />
      </label>
      <label>
        Why <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <ActionButton
        label="Silence"
        permit={permit(props.session, "rollout.steer", null)}
        run={() =>
          api.createSilence({
            matchers: matchers
              .split(",")
              .map((m) => m.trim())
              .filter(Boolean),
            duration,
            reason,
          })
        }
        onDone={props.onDone}
      />
    </form>
  );
}
