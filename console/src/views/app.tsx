import type { ReleaseView } from "../../../src/releases/release.types.ts";
import type { SummaryRow } from "../../../src/telemetry/metrics.view.ts";
import type { TraceSummaryView } from "../../../src/telemetry/trace.routes.ts";
import { api } from "../api.ts";
import { useLiveData } from "../live.ts";
import { href } from "../router.ts";
import { permit, type Session } from "../session.ts";
import { ActionButton, ago, type Column, ErrorBox, Loading, ms, Section, Table } from "../ui.tsx";

/** An app in one environment: its releases (roll back, promote), instances, metrics by release and route, slow traces. */
export function AppView(props: { session: Session; env: string; app: string }) {
  const { env, app, session } = props;
  const here = (e: { env: string | null; app: string | null }) => e.env === env && e.app === app;
  const state = useLiveData(
    async () => {
      const [releases, status, byRelease, byRoute, traces] = await Promise.all([
        api.releases(env, app),
        // The status holds only the environments the caller may read; should it fail, the instances are left out, not the page.
        api.status().catch(() => null),
        api.metrics(env, app, { by: "release", since: "15m" }),
        api.metrics(env, app, { by: "route", since: "15m" }),
        api.traces(env, app, { slowest: true, limit: 10 }).catch(() => [] as TraceSummaryView[]),
      ]);
      return { releases, status, byRelease, byRoute, traces };
    },
    (e) => here(e) && (e.type.startsWith("release.") || e.type.startsWith("rollout.") || e.type.startsWith("instance.")),
    [env, app],
  );
  const { data, error, reload } = state;
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  const environments = data.status?.environments ?? [];
  const environment = environments.find((e) => e.name === env);
  const appStatus = environment?.apps.find((a) => a.name === app);
  const live = data.releases.find((r) => r.status === "live") ?? null;
  const others = environments.filter((e) => e.name !== env && e.apps.some((a) => a.name === app)).map((e) => e.name);

  const releaseColumns: Column<ReleaseView>[] = [
    { key: "n", label: "Release", sort: (r) => r.number, render: (r) => `#${r.number}` },
    {
      key: "status",
      label: "Status",
      sort: (r) => r.status,
      render: (r) => <span class={`status ${r.status}`}>{r.status.replace("_", " ")}</span>,
    },
    {
      key: "what",
      label: "Source",
      render: (r) => (r.git ? `${r.git.commit.slice(0, 8)}${r.git.dirty ? "+" : ""}` : r.artifact.slice(7, 19)),
    },
    { key: "by", label: "By", sort: (r) => r.createdBy, render: (r) => r.createdBy },
    { key: "at", label: "Created", sort: (r) => r.createdAt, render: (r) => ago(r.createdAt) },
    { key: "why", label: "Note", render: (r) => (r.rollbackOf ? `rollback to #${r.rollbackOf}` : (r.reason ?? "")) },
    {
      key: "act",
      label: "Action",
      render: (r) =>
        live && r.number < live.number && (r.status === "superseded" || r.status === "rolled_back") ? (
          <ActionButton
            label={`Roll back to #${r.number}`}
            danger
            permit={permit(session, "rollback", env, app)}
            confirm={{
              title: `Roll back ${app} in ${env}?`,
              body: (
                <p>
                  {env} now serves release <strong>#{live.number}</strong>. This returns {env} to the code and configuration of release{" "}
                  <strong>#{r.number}</strong> (as a new release), replacing #{live.number}.
                </p>
              ),
              yes: `Roll back ${env} to #${r.number}`,
            }}
            run={() => api.rollback(env, app, { to: r.number })}
            onDone={reload}
          />
        ) : null,
    },
  ];

  return (
    <div class="stack">
      <h1>
        {app} <span class="muted">in</span> {env}
        {environment?.protected && <span class="tag prot">protected</span>}
      </h1>
      <nav class="subnav" aria-label={`${app} views`}>
        <a href={href("rollouts", env, app)}>Rollout</a>
        <a href={href("logs", env, app)}>Logs</a>
        <a href={href("metrics", env, app)}>Metrics</a>
        <a href={href("readiness", env, app)}>Readiness</a>
        {environment && <a href={environment.url}>Open {environment.url}</a>}
      </nav>
      <ErrorBox error={error} />
      <Section
        title="Releases"
        actions={
          <span class="buttons">
            {others.map((to) => (
              <ActionButton
                key={to}
                label={live ? `Promote #${live.number} to ${to}` : `Promote to ${to}`}
                permit={
                  live
                    ? permit(session, "deploy", to, app)
                    : { allowed: false, why: `${app} has no live release in ${env}`, command: `rampart deploy ${app} --env ${env}` }
                }
                confirm={{
                  title: `Promote ${app} from ${env} to ${to}?`,
                  body: (
                    <p>
                      This deploys release <strong>#{live?.number}</strong> of {env} (its code and configuration) to <strong>{to}</strong>,
                      as a new release there. {env} is not changed.
                    </p>
                  ),
                  yes: `Deploy it to ${to}`,
                }}
                run={() => api.promote(app, { from: env, to })}
                onDone={reload}
              />
            ))}
            <ActionButton
              label="Roll back to the previous release"
              danger
              permit={
                live
                  ? permit(session, "rollback", env, app)
                  : { allowed: false, why: "no live release", command: `rampart deploy ${app} --env ${env}` }
              }
              confirm={{
                title: `Roll back ${app} in ${env}?`,
                body: (
                  <p>
                    {env} now serves release <strong>#{live?.number}</strong>. This returns {env} to the release live before it (as a new
                    release).
                  </p>
                ),
                yes: `Roll back ${env}`,
              }}
              run={() => api.rollback(env, app)}
              onDone={reload}
            />
          </span>
        }
      >
        <Table caption={`Releases of ${app} in ${env}`} columns={releaseColumns} rows={data.releases} rowKey={(r) => String(r.number)} />
      </Section>
      <div class="two">
        <Section title="Instances">
          <Table
            caption="Instances"
            rowKey={(i) => i.id}
            rows={appStatus?.instances ?? []}
            empty={data.status ? "No instances." : "Instances are shown to those who may read every environment (rampart status)."}
            columns={[
              { key: "id", label: "Instance", sort: (i) => i.id, render: (i) => i.id },
              { key: "rel", label: "Release", sort: (i) => i.release, render: (i) => `#${i.release}` },
              { key: "h", label: "Health", sort: (i) => i.health, render: (i) => <span class={`status ${i.health}`}>{i.health}</span> },
              { key: "r", label: "Restarts", numeric: true, sort: (i) => i.restarts, render: (i) => i.restarts },
              { key: "s", label: "Up since", sort: (i) => i.startedAt, render: (i) => ago(i.startedAt) },
              { key: "p", label: "Last probe", render: (i) => i.lastProbe ?? "" },
            ]}
          />
        </Section>
        <Section title="Traffic by release, last 15 minutes">
          <MetricsTable rows={data.byRelease.rows} keyLabel="Release" />
        </Section>
      </div>
      <div class="two">
        <Section title="Traffic by route, last 15 minutes">
          <MetricsTable rows={data.byRoute.rows} keyLabel="Route" />
        </Section>
        <Section title="Slowest traces">
          <Table
            caption="Slowest traces"
            rowKey={(t) => t.traceId}
            rows={data.traces}
            empty="No traces yet."
            columns={[
              { key: "n", label: "Request", render: (t) => <a href={href("traces", t.traceId)}>{t.path ?? t.name}</a> },
              { key: "s", label: "Status", sort: (t) => t.httpStatus, render: (t) => t.httpStatus ?? "" },
              { key: "d", label: "Duration", numeric: true, sort: (t) => t.durationMs, render: (t) => ms(t.durationMs) },
              { key: "a", label: "When", sort: (t) => t.startMs, render: (t) => ago(t.startMs) },
            ]}
          />
        </Section>
      </div>
    </div>
  );
}

function MetricsTable(props: { rows: SummaryRow[]; keyLabel: string }) {
  return (
    <Table
      caption={`Traffic by ${props.keyLabel.toLowerCase()}`}
      rowKey={(r) => r.key ?? "total"}
      rows={props.rows}
      empty="No traffic in the window."
      columns={[
        { key: "k", label: props.keyLabel, sort: (r) => r.key, render: (r) => r.key ?? "total" },
        { key: "rps", label: "Req/s", numeric: true, sort: (r) => r.rps, render: (r) => r.rps.toFixed(2) },
        { key: "e", label: "Errors", numeric: true, sort: (r) => r.errorPercent, render: (r) => `${r.errorPercent.toFixed(2)}%` },
        { key: "p50", label: "p50", numeric: true, sort: (r) => r.p50Ms, render: (r) => ms(r.p50Ms) },
        { key: "p99", label: "p99", numeric: true, sort: (r) => r.p99Ms, render: (r) => ms(r.p99Ms) },
      ]}
    />
  );
}
