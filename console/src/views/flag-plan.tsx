import { Fragment } from "preact";
import { formatDuration } from "../../../src/config/units.ts";
import type { FlagRolloutView } from "../../../src/flags/flag.view.ts";
import { api } from "../api.ts";
import { permit, type Session } from "../session.ts";
import { ActionButton, ago } from "../ui.tsx";

/** One environment's latest guarded rollout: the steps with the one held now, and what gates the next. */
export function FlagPlan(props: {
  session: Session;
  flagKey: string;
  env: string;
  serving: string;
  rollout: FlagRolloutView | null;
  onDone: () => void;
}) {
  const { rollout, env, flagKey } = props;
  if (!rollout)
    return (
      <div class="plan" data-testid={`plan-${env}`}>
        <h3>{env}</h3>
        <p class="small">serves {props.serving}</p>
        <p class="small muted">
          No guarded rollout:{" "}
          <code>
            rampart flags rollout {flagKey} --env {env} --plan 5,25,50,100 --every 10m
          </code>
        </p>
      </div>
    );
  const active = rollout.state === "running" || rollout.state === "paused";
  const left = Math.max(0, rollout.stepStartedAt + rollout.everyMs - Date.now());
  const next = rollout.steps[rollout.step];
  const verdict = rollout.verdict as { decision?: unknown; reason?: unknown } | null;
  const steer = permit(props.session, "flags.write", env);
  return (
    <div class="plan" data-testid={`plan-${env}`}>
      <h3>
        {env} <span class={`status ${rollout.state}`}>{rollout.state}</span>
      </h3>
      <p class="small">serves {props.serving}</p>
      <ol class="steps" aria-label={`Steps of the rollout of ${rollout.variation} in ${env}`}>
        {rollout.steps.map((percent, i) => {
          const n = i + 1;
          const where = n < rollout.step ? "done" : n === rollout.step ? "now" : "next";
          return (
            <li key={n} class={where} aria-current={where === "now" ? "step" : undefined}>
              {percent}%
            </li>
          );
        })}
      </ol>
      <dl class="facts small">
        <dt>Serving</dt>
        <dd>
          {rollout.variation} to {rollout.percentage}% by {rollout.by}, else {rollout.outVariation}
        </dd>
        <dt>Next step</dt>
        <dd data-testid={`plan-gate-${env}`}>
          {!active
            ? "—"
            : next === undefined
              ? "the last step"
              : `${next}% ${rollout.state === "running" ? `after ${formatDuration(rollout.everyMs)} held (${Math.ceil(left / 1000)}s left)` : `once resumed and held ${formatDuration(rollout.everyMs)}`} and only while the guards hold: ${rollout.guards.join(", ") || "none"}; on failure: ${rollout.onFail === "off" ? "turn off" : "pause"}`}
        </dd>
        <dt>Verdict</dt>
        <dd class={verdict?.decision === "fail" ? "bad" : undefined}>
          {verdict ? `${String(verdict.decision)}: ${String(verdict.reason ?? "")}` : "no analysis yet"}
        </dd>
        {rollout.message && (
          <>
            <dt>Engine</dt>
            <dd>{rollout.message}</dd>
          </>
        )}
        {(rollout.businessGuards ?? []).map((g, i) => (
          <Fragment key={String(g.guard ?? i)}>
            <dt>Business guard</dt>
            <dd class={g.holds === false ? "bad" : undefined}>
              {String(g.guard)}: {g.holds ? "holds" : "broken"} (control {String(g.control)}, treatment {String(g.treatment)})
            </dd>
          </Fragment>
        ))}
        <dt>Step started</dt>
        <dd>
          {ago(rollout.stepStartedAt)} by {rollout.createdBy}
        </dd>
      </dl>
      {active && (
        <span class="buttons">
          <ActionButton
            label={rollout.state === "paused" ? "Resume rollout" : "Pause rollout"}
            permit={steer}
            confirm={{
              title: `${rollout.state === "paused" ? "Resume" : "Pause"} the rollout of ${flagKey} in ${env}?`,
              body: (
                <p>
                  {rollout.state === "paused"
                    ? "The plan goes on from its current step."
                    : `The flag keeps serving ${rollout.percentage}% until resumed.`}
                </p>
              ),
              yes: rollout.state === "paused" ? "Resume rollout" : "Pause rollout",
            }}
            run={() => api.controlFlagPlan(flagKey, env, rollout.state === "paused" ? "resume" : "pause", { reason: "from the console" })}
            onDone={props.onDone}
          />
        </span>
      )}
    </div>
  );
}
