import type { ComponentChildren } from "preact";
import type { AppSide, Drift } from "../../../src/parity/parity.types.ts";
import { api } from "../api.ts";
import { useLiveData } from "../live.ts";
import { href } from "../router.ts";
import { clock, ErrorBox, Loading, Section, Table } from "../ui.tsx";

/** What parity compares: a change to any of these may add or remove a difference. */
const WATCHED = ["release.", "flag.", "secret", "instance.", "rollout."];
const RANK = { critical: 0, warning: 1, info: 2 } as const;

/**
 * Two environments side by side (by default the one releases are tried in first against the protected one), every
 * app's configuration and the flags row by row, with each difference highlighted by its severity and listed with
 * what to do about it. Differences rampart.yaml declares as intended are shown, marked allowed, and not counted.
 */
export function ParityView(props: { from?: string | undefined; to?: string | undefined }) {
  const { data, error } = useLiveData(
    async () => {
      const status = await api.status().catch(() => null);
      const envs = status?.environments ?? [];
      const from = props.from ?? envs.find((e) => !e.protected)?.name ?? "staging";
      const to =
        props.to ?? envs.find((e) => e.protected && e.name !== from)?.name ?? envs.find((e) => e.name !== from)?.name ?? "production";
      return { envs: envs.map((e) => e.name), report: await api.parity({ from, to }) };
    },
    (e) => WATCHED.some((p) => e.type.startsWith(p)),
    [props.from, props.to],
  );
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  const { report, envs } = data;
  const s = report.summary;
  return (
    <div class="stack">
      <h1>
        Parity: {report.from} <span class="muted">against</span> {report.to}
      </h1>
      <EnvPicker envs={envs} from={report.from} to={report.to} />
      <ErrorBox error={error} />
      <p data-testid="parity-summary" class={s.unallowedCritical > 0 ? "bad" : s.warning > 0 ? "warn" : "ok"}>
        <strong>
          {s.critical} critical, {s.warning} warning, {s.info} info
        </strong>{" "}
        difference{s.critical + s.warning + s.info === 1 ? "" : "s"} not declared as intended
        {s.allowed > 0 ? `, ${s.allowed} allowed by rampart.yaml` : ""}.{" "}
        {s.unallowedCritical > 0
          ? `What ${report.from} proves does not hold in ${report.to} (rampart parity exits 3).`
          : `Nothing critical: ${report.from} runs what ${report.to} runs.`}{" "}
        <span class="muted small">Compared {clock(report.generatedAt)}.</span>
      </p>
      <p class="legend small">
        <span class="drift-critical">critical</span> <span class="drift-warning">warning</span> <span class="drift-info">info</span>{" "}
        <span class="drift-allowed">allowed</span>
      </p>
      {report.apps.map((a) => (
        <Section key={a.app} title={`${a.app}`}>
          <SideBySide
            caption={`${a.app} in ${report.from} and ${report.to}`}
            from={report.from}
            to={report.to}
            rows={appRows(a.from, a.to)}
            judged={a.from.release !== null && a.to.release !== null}
            drifts={report.drifts.filter((d) => d.app === a.app)}
          />
          {a.allow.length > 0 && <p class="muted small">Allowed to differ (rampart.yaml parity.allow): {a.allow.join(", ")}</p>}
        </Section>
      ))}
      {report.flags.length > 0 && (
        <Section title="Flags">
          <SideBySide
            caption={`Flags in ${report.from} and ${report.to}`}
            from={report.from}
            to={report.to}
            rows={report.flags.map((f) => ({
              key: `flags.${f.key}`,
              label: f.key,
              from: f.from === null ? null : `${f.from.enabled ? "ON" : "off"}, serves ${f.from.serving}`,
              to: f.to === null ? null : `${f.to.enabled ? "ON" : "off"}, serves ${f.to.serving}`,
            }))}
            drifts={report.drifts.filter((d) => d.app === null && d.key.startsWith("flags."))}
            judged
          />
        </Section>
      )}
      <Section title={`Every difference (${report.drifts.length})`}>
        <Table
          caption={`Differences between ${report.from} and ${report.to}`}
          rows={report.drifts}
          rowKey={(d) => `${d.app ?? "-"}:${d.key}`}
          empty={`No difference: ${report.from} and ${report.to} run the same.`}
          columns={[
            {
              key: "sev",
              label: "Severity",
              sort: (d) => RANK[d.severity],
              render: (d) => (
                <span class={`drift-${d.allowed ? "allowed" : d.severity}`}>{d.allowed ? `${d.severity}, allowed` : d.severity}</span>
              ),
            },
            { key: "app", label: "App", sort: (d) => d.app, render: (d) => d.app ?? "—" },
            { key: "key", label: "What", sort: (d) => d.key, render: (d) => <code>{d.key}</code> },
            { key: "from", label: report.from, render: (d) => <Value value={d.from} /> },
            { key: "to", label: report.to, render: (d) => <Value value={d.to} /> },
            { key: "msg", label: "What it means", render: (d) => d.message },
          ]}
        />
      </Section>
    </div>
  );
}

function EnvPicker(props: { envs: string[]; from: string; to: string }) {
  if (props.envs.length < 2) return null;
  const go = (from: string, to: string) => {
    location.hash = href("parity", from, to);
  };
  return (
    <form class="inline" aria-label="Environments compared" onSubmit={(e) => e.preventDefault()}>
      <label class="field">
        <span>Compare</span>
        <select value={props.from} onChange={(e) => go(e.currentTarget.value, props.to)}>
          {props.envs.map((e) => (
            <option key={e}>{e}</option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>against</span>
        <select value={props.to} onChange={(e) => go(props.from, e.currentTarget.value)}>
          {props.envs.map((e) => (
            <option key={e}>{e}</option>
          ))}
        </select>
      </label>
    </form>
  );
}

interface Row {
  /** The drift key (or its prefix) this row shows: a drift at it or under it highlights the row. */
  key: string;
  label: string;
  from: unknown;
  to: unknown;
}

function appRows(a: AppSide, b: AppSide): Row[] {
  const names = (x: Record<string, unknown>, y: Record<string, unknown>) => [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  const secret = (side: AppSide, name: string) => {
    const s = side.secrets[name];
    return s ? `version ${s.version}` : null;
  };
  const instances = (side: AppSide) =>
    `${side.instances.healthy}/${side.instances.running} healthy${side.instances.declared === null ? "" : `, ${side.instances.declared} declared`}`;
  const runtimes = (side: AppSide) =>
    side.runtimes.map((r) => `${r.name}${r.version ? ` ${r.version}` : ""} ×${r.instances}`).join(", ") || null;
  const dbs = names(Object.fromEntries(a.databases.map((d) => [d.name, d])), Object.fromEntries(b.databases.map((d) => [d.name, d])));
  const db = (side: AppSide, name: string) => {
    const d = side.databases.find((x) => x.name === name);
    if (!d) return null;
    return d.error ? `unreadable: ${d.error}` : `${d.kind}, ${d.tables.length} tables, ${d.tables.reduce((n, t) => n + t.rows, 0)} rows`;
  };
  return [
    {
      key: "deployed",
      label: "Live release",
      from: a.release === null ? null : `#${a.release}`,
      to: b.release === null ? null : `#${b.release}`,
    },
    { key: "artifact", label: "Artifact", from: a.artifact?.slice(7, 19) ?? null, to: b.artifact?.slice(7, 19) ?? null },
    { key: "run", label: "Run", from: a.run, to: b.run },
    { key: "build", label: "Build", from: a.build, to: b.build },
    ...names(a.envVars, b.envVars).map((n) => ({
      key: `env.${n}`,
      label: `env ${n}`,
      from: a.envVars[n] ?? null,
      to: b.envVars[n] ?? null,
    })),
    ...names(a.secrets, b.secrets).map((n) => ({ key: `secrets.${n}`, label: `secret ${n}`, from: secret(a, n), to: secret(b, n) })),
    { key: "instances", label: "Instances", from: instances(a), to: instances(b) },
    { key: "limits", label: "Limits", from: a.limits, to: b.limits },
    { key: "routes", label: "Routes", from: a.routes?.join(", ") ?? null, to: b.routes?.join(", ") ?? null },
    { key: "hosts", label: "Hosts", from: a.hosts?.join(", ") ?? null, to: b.hosts?.join(", ") ?? null },
    { key: "health", label: "Health check", from: a.health, to: b.health },
    {
      key: "drain",
      label: "Drain",
      from: a.drainMs === null ? null : `${a.drainMs} ms`,
      to: b.drainMs === null ? null : `${b.drainMs} ms`,
    },
    { key: "release.strategy", label: "Release strategy", from: a.strategy, to: b.strategy },
    { key: "runtime", label: "Runtime", from: runtimes(a), to: runtimes(b) },
    ...dbs.map((n) => ({ key: `databases.${n}`, label: `database ${n}`, from: db(a, n), to: db(b, n) })),
  ];
}

/** The worst drift at or under a row's key; an allowed one only when nothing unallowed is there. */
function driftOf(key: string, drifts: Drift[]): Drift | null {
  const here = drifts.filter((d) => d.key === key || d.key.startsWith(`${key}.`));
  here.sort((x, y) => Number(x.allowed) - Number(y.allowed) || RANK[x.severity] - RANK[y.severity]);
  return here[0] ?? null;
}

/**
 * `judged`: whether parity compared these rows at all. An app with no live release on one side is compared only on
 * that ("deployed"), so its other rows say "not compared" rather than "same".
 */
function SideBySide(props: { caption: string; from: string; to: string; rows: Row[]; drifts: Drift[]; judged: boolean }) {
  const shown = new Set<string>();
  const body: ComponentChildren[] = props.rows.map((r) => {
    const drift = driftOf(r.key, props.drifts);
    for (const d of props.drifts) if (d.key === r.key || d.key.startsWith(`${r.key}.`)) shown.add(d.key);
    const mark = drift ? (drift.allowed ? "allowed" : drift.severity) : null;
    return (
      <tr key={r.key} class={mark ? `drift-${mark}` : undefined}>
        <th scope="row">{r.label}</th>
        <td>
          <Value value={r.from} />
        </td>
        <td>
          <Value value={r.to} />
        </td>
        <td>
          {drift ? (
            <span title={drift.message}>{mark === "allowed" ? `${drift.severity}, allowed` : mark}</span>
          ) : (
            <span class="muted">
              {JSON.stringify(r.from) === JSON.stringify(r.to) ? "same" : props.judged ? "no drift" : "not compared"}
            </span>
          )}
        </td>
      </tr>
    );
  });
  // A drift no row shows (a key this view does not lay out) still gets a row of its own.
  for (const d of props.drifts)
    if (!shown.has(d.key))
      body.push(
        <tr key={`extra:${d.key}`} class={`drift-${d.allowed ? "allowed" : d.severity}`}>
          <th scope="row">
            <code>{d.key}</code>
          </th>
          <td>
            <Value value={d.from} />
          </td>
          <td>
            <Value value={d.to} />
          </td>
          <td title={d.message}>{d.allowed ? `${d.severity}, allowed` : d.severity}</td>
        </tr>,
      );
  return (
    <table class="grid sidebyside">
      <caption class="sr-only">{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Setting</th>
          <th scope="col">{props.from}</th>
          <th scope="col">{props.to}</th>
          <th scope="col">Difference</th>
        </tr>
      </thead>
      <tbody>{body}</tbody>
    </table>
  );
}

function Value(props: { value: unknown }) {
  const v = props.value;
  if (v === null || v === undefined) return <span class="muted">absent</span>;
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return <>{String(v)}</>;
  return <code class="small">{JSON.stringify(v)}</code>;
}
