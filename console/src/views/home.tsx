import { useEffect } from "preact/hooks";
import type { OverviewRow } from "../../../src/console/overview.types.ts";
import type { RampartEvent } from "../../../src/events/event.types.ts";
import { api } from "../api.ts";
import { useLiveData } from "../live.ts";
import { href } from "../router.ts";
import type { Session } from "../session.ts";
import { type Column, ErrorBox, Loading, ms, Section, Sparkline, Table, ago } from "../ui.tsx";

const WATCHED = ["release.", "rollout.", "instance.", "alert.", "incident.", "flag.", "secret", "role.", "access.", "oncall."];
/** Request rates move without events: the figures are read again every few seconds too. */
const REFRESH_MS = 5000;

export function HomeView(_props: { session: Session }) {
  const { data, error, reload } = useLiveData(
    () => api.overview(),
    (e) => WATCHED.some((p) => e.type.startsWith(p)),
  );
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  const rollouts = data.rows.filter((r) => r.rollout !== null);
  return (
    <div class="home">
      <h1 class="sr-only">Production at a glance: {data.project}</h1>
      <ErrorBox error={error} />
      <div class="home-main panel">
        <header>
          <h2>
            {data.project}: {data.rows.length} apps
          </h2>
          <span class="muted small" data-testid="overview-at">
            updated {new Date(data.at).toLocaleTimeString(undefined, { hour12: false })}
          </span>
        </header>
        <Table caption="Every app in every environment" columns={columns} rows={data.rows} rowKey={(r) => `${r.env}/${r.app}`} />
      </div>
      <aside class="home-side">
        <Section title={`Firing alerts (${data.alerts.length})`}>
          {data.alerts.length === 0 ? (
            <p class="ok">None firing.</p>
          ) : (
            <ul class="list">
              {data.alerts.map((a) => (
                <li key={a.fingerprint} class={a.labels.severity === "critical" ? "bad" : "warn"}>
                  <a href={href("alerts")}>{a.rule}</a> {a.labels.app ?? ""} {a.labels.env ?? ""}{" "}
                  <span class="muted">{ago(a.firedAt)}</span>
                </li>
              ))}
            </ul>
          )}
        </Section>
        <Section title={`Open incidents (${data.incidents.length})`}>
          {data.incidents.length === 0 ? (
            <p class="ok">None open.</p>
          ) : (
            <ul class="list">
              {data.incidents.map((i) => (
                <li key={i.id}>
                  <a href={href("incidents", i.id)}>
                    #{i.id} SEV-{i.severity} {i.title}
                  </a>{" "}
                  <span class="muted">{i.status}</span>
                </li>
              ))}
            </ul>
          )}
        </Section>
        <Section title="On call">
          {data.oncall.length === 0 ? (
            <p class="muted">No schedule in rampart.yaml.</p>
          ) : (
            <ul class="list">
              {data.oncall.map((o) => (
                <li key={o.schedule}>
                  {o.schedule}: <strong>{o.user}</strong>
                  {o.override ? " (override)" : ""} <span class="muted">until {new Date(o.to).toLocaleString()}</span>
                </li>
              ))}
            </ul>
          )}
        </Section>
        <Section title={`Rolling out (${rollouts.length})`}>
          {rollouts.length === 0 ? (
            <p class="muted">Nothing rolling out.</p>
          ) : (
            <ul class="list">
              {rollouts.map((r) => (
                <li key={`${r.env}/${r.app}`}>
                  <a href={href("rollouts", r.env, r.app)}>
                    {r.app} in {r.env}
                  </a>
                  : {split(r)}
                </li>
              ))}
            </ul>
          )}
        </Section>
        <Section title="Latest changes">
          <ul class="list changes">
            {data.changes.map((e) => (
              <li key={e.id}>
                <span class="muted">{ago(e.at)}</span> <ChangeLabel event={e} />
              </li>
            ))}
          </ul>
        </Section>
      </aside>
    </div>
  );
}

function ChangeLabel(props: { event: RampartEvent }) {
  const e = props.event;
  const where = e.app && e.env ? href("apps", e.env, e.app) : null;
  return (
    <span>
      <span class={`tag ${e.type.split(".")[0]}`}>{e.type}</span> {where ? <a href={where}>{e.message}</a> : e.message}{" "}
      <span class="muted">by {e.actor}</span>
    </span>
  );
}

function split(r: OverviewRow): string {
  const rollout = r.rollout;
  if (!rollout) return "";
  const canary = rollout.canaryPercent;
  const what = `release ${rollout.release} ${rollout.strategy}`;
  if (canary === null) return `${what}, ${rollout.state}${rollout.paused ? " (paused)" : ""}`;
  return `${what} ${canary}% / stable ${rollout.fromRelease ?? "—"} ${100 - canary}%${rollout.paused ? " (paused)" : ""}`;
}

const columns: Column<OverviewRow>[] = [
  { key: "env", label: "Env", sort: (r) => r.env, render: (r) => <span class={r.protected ? "env prot" : "env"}>{r.env}</span> },
  { key: "app", label: "App", sort: (r) => r.app, render: (r) => <a href={href("apps", r.env, r.app)}>{r.app}</a> },
  {
    key: "release",
    label: "Live release",
    sort: (r) => r.live,
    render: (r) => (
      <>
        {r.live === null ? <span class="muted">none</span> : `#${r.live}`}
        {r.rollout && (
          <>
            {" "}
            <a class="tag rollout" href={href("rollouts", r.env, r.app)}>
              → #{r.rollout.release} {r.rollout.canaryPercent === null ? r.rollout.state : `${r.rollout.canaryPercent}%`}
            </a>
          </>
        )}
      </>
    ),
  },
  {
    key: "health",
    label: "Healthy",
    numeric: true,
    sort: (r) => (r.instances === 0 ? -1 : r.healthy / r.instances),
    render: (r) => (
      <span class={r.healthy < r.instances ? "bad" : undefined}>
        {r.healthy}/{r.instances}
      </span>
    ),
  },
  { key: "rps", label: "Req/s", numeric: true, sort: (r) => r.rps, render: (r) => r.rps.toFixed(1) },
  {
    key: "err",
    label: "Errors",
    numeric: true,
    sort: (r) => r.errorPercent,
    render: (r) => <span class={r.errorPercent >= 1 ? "bad" : undefined}>{r.errorPercent.toFixed(2)}%</span>,
  },
  { key: "p99", label: "p99", numeric: true, sort: (r) => r.p99Ms, render: (r) => ms(r.p99Ms) },
  {
    key: "spark",
    label: "p99, 30 min",
    render: (r) => <Sparkline values={r.spark} label={`p99 latency of ${r.app} in ${r.env} over the last 30 minutes`} />,
  },
  {
    key: "readiness",
    label: "Readiness",
    render: (r) => (
      <a href={href("readiness", r.env, r.app)} aria-label={`Readiness checklist of ${r.app} in ${r.env}`}>
        checklist
      </a>
    ),
  },
];
