import { useState } from "preact/hooks";
import type { ReadinessCheck, ReadinessCheckName } from "../../../src/readiness/readiness.types.ts";
import { api } from "../api.ts";
import { useLiveData } from "../live.ts";
import { href } from "../router.ts";
import { type Permit, permit, type Session } from "../session.ts";
import { ActionButton, clock, ErrorBox, Loading, Section, Table } from "../ui.tsx";

const LABEL: Record<ReadinessCheckName, string> = {
  health_check: "Health check declared",
  no_secrets: "No secrets in the artifact",
  owner: "Owner named",
  runbook: "Runbook linked",
  alerts_routed: "Alerts reach someone on call",
  checks_green: "Synthetic checks green",
  release_strategy: "Progressive release strategy",
  load_test: "Recent passed load test",
  rollback_drill: "Recent rollback drill",
  parity: "Parity with staging",
};

/** What readiness is computed from: a change to any of these may move a check. */
const WATCHED = ["release.", "readiness.", "check.", "loadtest.", "drill.", "parity.", "oncall.", "secret"];

/**
 * The readiness checklist of an app in an environment: every check computed from what the platform records, with
 * its evidence and the command that fixes it, and the audited override of a gated first deploy.
 */
export function ReadinessView(props: { session: Session; env: string; app: string }) {
  const { env, app, session } = props;
  const { data, error, reload } = useLiveData(
    () => api.readiness(env, app),
    (e) => (e.env === env || e.env === null) && (e.app === app || e.app === null) && WATCHED.some((p) => e.type.startsWith(p)),
    [env, app],
  );
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  const failingRequired = data.checks.filter((c) => c.required && c.status !== "pass");
  const passed = data.checks.filter((c) => c.status === "pass").length;
  return (
    <div class="stack">
      <h1>
        Readiness of {app} <span class="muted">in</span> {env}
        {data.protected && <span class="tag prot">protected</span>}
      </h1>
      <nav class="subnav" aria-label={`${app} views`}>
        <a href={href("apps", env, app)}>App</a>
        <a href={href("parity")}>Parity</a>
      </nav>
      <ErrorBox error={error} />
      <p data-testid="readiness-verdict" class={data.ready ? "ok" : "bad"}>
        <strong>{data.ready ? "Ready" : "Not ready"}</strong>: {passed} of {data.checks.length} checks pass
        {failingRequired.length > 0
          ? `; required and not passing: ${failingRequired.map((c) => c.name).join(", ")}`
          : "; every required check passes"}
        .{" "}
        {data.gated
          ? `The first deploy of ${app} to ${env} is gated on the required checks.`
          : data.protected
            ? `${app} already has releases in ${env}: only a first deploy is gated, the checks are advice.`
            : `${env} is not protected: its deploys are not gated, the checks are advice.`}
        {data.artifact && (
          <span class="muted">
            {" "}
            Artifact scanned: {data.artifact.digest.slice(7, 19)} (from {data.artifact.from}).
          </span>
        )}
      </p>
      <Section title="Checklist">
        <Table
          caption={`Readiness checks of ${app} in ${env}`}
          rows={data.checks}
          rowKey={(c) => c.name}
          columns={[
            {
              key: "s",
              label: "Result",
              sort: (c) => c.status,
              render: (c) => (
                <span class={`status ${c.status === "pass" ? "ok" : c.status === "fail" ? "bad" : "warn"}`}>
                  {c.status === "pass" ? "✓ pass" : c.status === "fail" ? "✗ fail" : "? unavailable"}
                </span>
              ),
            },
            { key: "n", label: "Check", sort: (c) => c.name, render: (c) => <span title={c.name}>{LABEL[c.name]}</span> },
            { key: "r", label: "Required", sort: (c) => (c.required ? 0 : 1), render: (c) => (c.required ? "required" : "advice") },
            { key: "d", label: "Evidence", render: (c) => <Evidence check={c} /> },
            { key: "f", label: "To fix", render: (c) => (c.fix ? <code class="fix">{c.fix}</code> : <span class="muted">—</span>) },
          ]}
        />
      </Section>
      <Override
        session={session}
        env={env}
        app={app}
        gated={data.gated}
        protectedEnv={data.protected}
        failing={failingRequired}
        onDone={reload}
      />
    </div>
  );
}

function Evidence(props: { check: ReadinessCheck }) {
  const { check } = props;
  return (
    <>
      {check.detail}
      {check.findings && check.findings.length > 0 && (
        <ul class="list small">
          {check.findings.map((f) => (
            <li key={`${f.file}:${f.line}:${f.kind}`}>
              <code>
                {f.file}:{f.line}
              </code>{" "}
              {f.kind}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function Override(props: {
  session: Session;
  env: string;
  app: string;
  gated: boolean;
  protectedEnv: boolean;
  failing: ReadinessCheck[];
  onDone: () => void;
}) {
  const { env, app } = props;
  const [reason, setReason] = useState("");
  const [given, setGiven] = useState<string | null>(null);
  const deploy = `rampart deploy ${app} --env ${env}`;
  // The API's own refusals, said before the button is pressed: only a protected environment's first deploy is gated.
  const allowed: Permit = !props.protectedEnv
    ? { allowed: false, why: `${env} is not protected: its deploys are not gated, there is nothing to override`, command: deploy }
    : !props.gated
      ? {
          allowed: false,
          why: `${app} already has releases in ${env}: only the first deploy is gated, there is nothing to override`,
          command: deploy,
        }
      : permit(props.session, "readiness.override", env, app);
  return (
    <Section title="Override the gate">
      <p class="muted small">
        Lets the next first deploy of {app} to {env} go out within the hour despite failing required checks. Recorded as
        readiness.overridden with who and why.
      </p>
      <form class="inline" onSubmit={(e) => e.preventDefault()}>
        <label class="field">
          <span>Reason</span>
          <input
            size={60}
            maxLength={500}
            value={reason}
            placeholder="why it may go out with failing checks"
            onInput={(e) => setReason(e.currentTarget.value)}
          />
        </label>
        <ActionButton
          label="Override the readiness gate"
          danger
          permit={allowed}
          confirm={{
            title: `Let ${app}'s first deploy to ${env} through?`,
            body: (
              <p>
                For the next hour, a first deploy of {app} to {env} goes out although{" "}
                {props.failing.length > 0 ? <strong>{props.failing.map((c) => c.name).join(", ")}</strong> : "no required check"} fail
                {props.failing.length === 1 ? "s" : ""}. Reason recorded: “{reason.trim()}”.
              </p>
            ),
            yes: `Override for ${app} in ${env}`,
          }}
          run={async () => {
            const view = await api.overrideReadiness(env, app, reason.trim());
            setGiven(`Overridden by ${view.actor} until ${clock(view.expiresAt)}: ${view.reason}`);
            props.onDone();
          }}
        />
      </form>
      {given && (
        <p class="ok" role="status" data-testid="readiness-override">
          {given}
        </p>
      )}
    </Section>
  );
}
