import type { FlagEnvView, FlagView } from "../../../src/flags/flag.view.ts";
import { api } from "../api.ts";
import { useLiveData } from "../live.ts";
import { href } from "../router.ts";
import { permit, type Session } from "../session.ts";
import { ActionButton, ago, ErrorBox, Loading } from "../ui.tsx";

/** Every flag per environment: on/off with a flip (a protected environment files a change request instead). */
export function FlagsView(props: { session: Session }) {
  const { session } = props;
  const { data, error, reload } = useLiveData(
    async () => {
      const [flags, requests] = await Promise.all([api.flags(), api.flagRequests({ status: "pending" }).catch(() => [])]);
      return { flags, requests };
    },
    (e) => e.type.startsWith("flag."),
  );
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  const envs = [...new Set(data.flags.flatMap((f) => f.environments.map((e) => e.env)))];
  // A boolean flag is "on" when it serves `on` to everyone; flipping sets what everyone gets (the fallthrough).
  // Any other flag flips with its kill switch. Both are audited flag changes; protected environments ask approval.
  const flip = (flag: FlagView, state: FlagEnvView) => {
    const on = isOn(flag, state);
    const label = `Turn ${on ? "off" : "on"} in ${state.env}`;
    const patch =
      flag.type === "boolean"
        ? { enabled: true, fallthrough: { variation: on ? flag.offVariation : "on" }, reason: "flipped in the console" }
        : { enabled: !state.enabled, reason: "flipped in the console" };
    return (
      <ActionButton
        label={label}
        danger={on}
        permit={permit(session, "flags.write", state.env)}
        confirm={{
          title: `Turn ${flag.key} ${on ? "off" : "on"} in ${state.env}?`,
          body: (
            <p>
              {on
                ? `Everyone in ${state.env} gets ${flag.offVariation}.`
                : flag.type === "boolean"
                  ? `Everyone in ${state.env} gets on.`
                  : `${state.env} serves: ${state.serving}.`}
              {state.protected ? " This environment is protected: the change waits for an approval." : ""}
            </p>
          ),
          yes: label,
        }}
        run={() => api.setFlag(flag.key, state.env, patch)}
        onDone={reload}
      />
    );
  };
  return (
    <div class="stack">
      <h1>Feature flags</h1>
      <ErrorBox error={error} />
      {data.requests.length > 0 && (
        <p class="warn" role="status">
          {data.requests.length} change(s) wait for approval: {data.requests.map((r) => `#${r.id} ${r.summary} (${r.env})`).join("; ")}
        </p>
      )}
      <table class="grid">
        <caption class="sr-only">Flags per environment</caption>
        <thead>
          <tr>
            <th scope="col">Flag</th>
            {envs.map((env) => (
              <th key={env} scope="col">
                {env}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.flags.length === 0 && (
            <tr>
              <td colSpan={envs.length + 1} class="muted">
                No flag yet: rampart flags create KEY
              </td>
            </tr>
          )}
          {data.flags.map((flag) => (
            <tr key={flag.key}>
              <th scope="row">
                <a href={href("flag", flag.key)}>{flag.key}</a>
                <div class="muted small">{flag.description}</div>
              </th>
              {envs.map((env) => {
                const state = flag.environments.find((e) => e.env === env);
                if (!state) return <td key={env} />;
                return (
                  <td key={env} data-testid={`flag-${flag.key}-${env}`}>
                    <span class={isOn(flag, state) ? "ok" : "muted"}>{isOn(flag, state) ? "ON" : "OFF"}</span>{" "}
                    <span class="small">{state.serving}</span>
                    {state.rollout && state.rollout.state !== "completed" && (
                      <div class="small">
                        rollout {state.rollout.state}: {state.rollout.percentage}% (step {state.rollout.step}/{state.rollout.steps.length})
                      </div>
                    )}
                    {state.stale.stale && <div class="small warn">stale: {state.stale.reasons.join(", ")}</div>}
                    <div class="small muted">{state.updatedAt ? `changed ${ago(state.updatedAt)} by ${state.updatedBy}` : ""}</div>
                    {flip(flag, state)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function isOn(flag: FlagView, state: FlagEnvView): boolean {
  if (!state.enabled) return false;
  if (flag.type !== "boolean") return true;
  const fallthrough = state.fallthrough;
  return typeof fallthrough === "object" && fallthrough !== null && "variation" in fallthrough && fallthrough.variation === "on";
}
