import type { RolloutAction } from "../../../src/releases/rollout.view.ts";
import { api } from "../api.ts";
import { type ChartSeries, TimeChart } from "../chart.tsx";
import { useLiveData } from "../live.ts";
import { href } from "../router.ts";
import { permit, type Session } from "../session.ts";
import { ActionButton, ago, ErrorBox, Loading, Section } from "../ui.tsx";

interface Check {
  metric: string;
  guard?: string;
  canary?: number | null;
  stable?: number | null;
  threshold?: number | null;
  statistic?: number;
  boundary?: number;
  samples?: { canary: number; stable: number };
  decision: string;
}

/** A rollout live: the split, the verdict and its evidence, canary against stable per guard, and the controls. */
export function RolloutView(props: { session: Session; env: string; app: string }) {
  const { env, app, session } = props;
  const { data, error, reload } = useLiveData(
    async () => {
      const rollout = await api.rollout(env, app);
      const events = (await api.events({ env, app, type: "rollout.", limit: 2000 })).filter((e) => e.release === rollout.release);
      // Each analysis the engine recorded is a point; the rollout's latest verdict is the last one (a canary rolled
      // back within its first window has only that).
      const points = events.map((e) => ({ at: e.at, checks: checksOf(e.data.verdict) })).filter((p) => p.checks.length > 0);
      const latest = checksOf(rollout.verdict);
      if (latest.length > 0 && (points.at(-1)?.at ?? 0) < rollout.updatedAt) points.push({ at: rollout.updatedAt, checks: latest });
      return { rollout, points, history: events.filter((e) => e.type !== "rollout.analysis") };
    },
    (e) => e.env === env && e.app === app && (e.type.startsWith("rollout.") || e.type.startsWith("release.")),
    [env, app],
    // The analysis arrives every few seconds: the charts redraw as it does.
  );
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  const { rollout } = data;
  const running = rollout.finishedAt === null;
  const verdict = rollout.verdict as { decision?: string; reason?: string; checks?: Check[] } | null;
  const steer = permit(session, "rollout.steer", env, app);
  const control = (action: RolloutAction, label: string, confirm: string, danger = false) => (
    <ActionButton
      label={label}
      danger={danger}
      permit={running ? steer : { allowed: false, why: "the rollout has finished", command: `rampart deploy ${app} --env ${env}` }}
      confirm={{ title: `${label}?`, body: <p>{confirm}</p>, yes: label }}
      run={() => api.controlRollout(env, app, action, "from the console")}
      onDone={reload}
    />
  );
  const canary = rollout.canaryPercent;
  return (
    <div class="stack">
      <h1>
        Rollout of <a href={href("apps", env, app)}>{app}</a> in {env}: release #{rollout.release}
      </h1>
      <ErrorBox error={error} />
      <Section
        title="Now"
        actions={
          <span class="buttons">
            {rollout.paused
              ? control("resume", "Resume rollout", "The canary goes on with its next step.")
              : control("pause", "Pause rollout", "The canary stays at its current share of traffic until resumed.")}
            {control(
              "promote",
              `Promote #${rollout.release} to 100%`,
              `Release #${rollout.release} takes all traffic now, skipping the remaining steps and analysis.`,
            )}
            {control(
              "abort",
              `Abort: return to #${rollout.fromRelease ?? "stable"}`,
              `All traffic goes back to the stable release #${rollout.fromRelease ?? "—"}; release #${rollout.release} is rolled back.`,
              true,
            )}
          </span>
        }
      >
        <dl class="facts">
          <dt>State</dt>
          <dd data-testid="rollout-state">
            {rollout.outcome ?? rollout.state}
            {rollout.paused ? " (paused)" : ""}
          </dd>
          <dt>Split</dt>
          <dd>
            {canary === null
              ? rollout.strategy
              : `canary #${rollout.release} ${canary}% / stable #${rollout.fromRelease ?? "—"} ${100 - canary}%`}
            {rollout.steps.length > 0 && (
              <span class="muted">
                {" "}
                (steps {rollout.steps.join(" → ")}%, now step {rollout.step + 1})
              </span>
            )}
          </dd>
          <dt>Verdict</dt>
          <dd data-testid="rollout-verdict" class={verdict?.decision === "fail" ? "bad" : undefined}>
            {verdict ? `${verdict.decision ?? "?"}: ${verdict.reason ?? ""}` : "no analysis yet"}
          </dd>
          <dt>Started</dt>
          <dd>{ago(rollout.startedAt)}</dd>
          {rollout.message && (
            <>
              <dt>Message</dt>
              <dd>{rollout.message}</dd>
            </>
          )}
        </dl>
      </Section>
      <Section title="Evidence: canary against stable, per guard">
        <GuardCharts points={data.points} />
        <EvidenceTable checks={verdict?.checks ?? []} />
      </Section>
      <Section title="Steps">
        <ul class="list">
          {data.history.map((e) => (
            <li key={e.id}>
              <span class="muted">{ago(e.at)}</span> <span class="tag">{e.type}</span> {e.message} <span class="muted">by {e.actor}</span>
            </li>
          ))}
        </ul>
      </Section>
    </div>
  );
}

interface Point {
  at: number;
  checks: Check[];
}

function checksOf(verdict: unknown): Check[] {
  if (typeof verdict !== "object" || verdict === null || !("checks" in verdict)) return [];
  return Array.isArray(verdict.checks) ? (verdict.checks as Check[]) : [];
}

function GuardCharts(props: { points: Point[] }) {
  const metrics = [...new Set(props.points.flatMap((p) => p.checks.map((c) => c.metric)))];
  if (metrics.length === 0) return <p class="muted">No analysis yet: the charts start with the first measurement of the canary.</p>;
  const times = props.points.map((p) => p.at / 1000);
  return (
    <div class="charts">
      {metrics.map((metric) => {
        const errorRate = metric === "error_rate";
        const scale = (v: number | null | undefined) => (v === null || v === undefined ? null : errorRate ? v * 100 : v);
        const at = (p: Point) => p.checks.find((c) => c.metric === metric);
        const series: ChartSeries[] = [
          { label: "canary", color: "--canary", values: props.points.map((p) => scale(at(p)?.canary)) },
          { label: "stable", color: "--stable", values: props.points.map((p) => scale(at(p)?.stable)) },
          { label: "ceiling", color: "--fg-muted", dash: [4, 4], values: props.points.map((p) => scale(at(p)?.threshold)) },
        ];
        return <TimeChart key={metric} title={metric.replace("_", " ")} unit={errorRate ? "%" : " ms"} times={times} series={series} />;
      })}
    </div>
  );
}

function EvidenceTable(props: { checks: Check[] }) {
  if (props.checks.length === 0) return null;
  const show = (metric: string, v: number | null | undefined) =>
    v === null || v === undefined ? "—" : metric === "error_rate" ? `${(v * 100).toFixed(2)}%` : `${v.toFixed(1)} ms`;
  return (
    <table class="grid">
      <caption class="sr-only">The latest verdict's evidence per guard</caption>
      <thead>
        <tr>
          <th scope="col">Guard</th>
          <th scope="col" class="num">
            Canary
          </th>
          <th scope="col" class="num">
            Stable
          </th>
          <th scope="col" class="num">
            Ceiling
          </th>
          <th scope="col" class="num">
            Requests (canary / stable)
          </th>
          <th scope="col" class="num">
            Evidence (fails at)
          </th>
          <th scope="col">Decision</th>
        </tr>
      </thead>
      <tbody>
        {props.checks.map((c) => (
          <tr key={c.metric}>
            <td>
              {c.metric} {c.guard && <span class="muted">({c.guard})</span>}
            </td>
            <td class="num">{show(c.metric, c.canary)}</td>
            <td class="num">{show(c.metric, c.stable)}</td>
            <td class="num">{show(c.metric, c.threshold)}</td>
            <td class="num">{c.samples ? `${c.samples.canary} / ${c.samples.stable}` : "—"}</td>
            <td class="num">
              {c.statistic !== undefined && c.boundary !== undefined ? `${c.statistic.toFixed(1)} (${c.boundary.toFixed(1)})` : "—"}
            </td>
            <td class={c.decision === "fail" ? "bad" : undefined}>{c.decision}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
