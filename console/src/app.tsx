import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, describeError, onSessionLost } from "./api.ts";
import { liveStart, startLive, stopLive, useLiveStatus } from "./live.ts";
import { href, useRoute } from "./router.ts";
import type { Session } from "./session.ts";
import { saveTheme, storedTheme } from "./theme.ts";
import { ErrorBox, Loading } from "./ui.tsx";
import { AccessView } from "./views/access.tsx";
import { AlertsView } from "./views/alerts.tsx";
import { AppView } from "./views/app.tsx";
import { AuditView } from "./views/audit.tsx";
import { EventsView } from "./views/events.tsx";
import { FlagsView } from "./views/flags.tsx";
import { HomeView } from "./views/home.tsx";
import { IncidentsView, IncidentView } from "./views/incidents.tsx";
import { LoginView } from "./views/login.tsx";
import { LogsView } from "./views/logs.tsx";
import { RolloutView } from "./views/rollout.tsx";
import { TraceView } from "./views/trace.tsx";
import { FlagDetailView } from "./views/flag-detail.tsx";
import { MetricsView } from "./views/metrics.tsx";
import { ParityView } from "./views/parity.tsx";
import { ReadinessView } from "./views/readiness.tsx";

type State =
  | { kind: "loading" }
  | { kind: "anonymous"; notice?: string }
  | { kind: "in"; session: Session }
  | { kind: "failed"; error: unknown };

/** What the sign-in page says about a session that ended under the user: the API's reason and what to do. */
function endedNotice(error: unknown): string | undefined {
  const { message, hint, status } = describeError(error);
  return status === 401 ? `${message}${hint ? `. ${hint}` : ""}` : undefined;
}

export function App() {
  const [state, setState] = useState<State>({ kind: "loading" });
  const load = async () => {
    try {
      const who = await api.whoami();
      // Which environments are protected: a standing role there stops at reading (the permission check needs it).
      const [status, after] = await Promise.all([api.status().catch(() => null), liveStart()]);
      const protectedEnvs = new Set(status?.environments.filter((e) => e.protected).map((e) => e.name) ?? []);
      setState({ kind: "in", session: { who, protectedEnvs } });
      startLive(after);
    } catch (error) {
      // A session ended on purpose says why even at a reload; no session at all is just the sign-in page.
      const ended = error instanceof ApiError && error.code === "session_ended";
      setState(
        describeError(error).status === 401
          ? { kind: "anonymous", notice: ended ? endedNotice(error) : undefined }
          : { kind: "failed", error },
      );
    }
  };
  useEffect(() => void load(), []);
  // Any view's 401 while signed in (a just-in-time grant approved, a role changed, the session timed out): back to
  // the sign-in page, saying why, instead of views that fail one by one.
  useEffect(
    () =>
      onSessionLost((error) =>
        setState((current) => {
          if (current.kind !== "in") return current;
          stopLive();
          return { kind: "anonymous", notice: endedNotice(error) };
        }),
      ),
    [],
  );
  if (state.kind === "loading") return <Loading />;
  if (state.kind === "anonymous") return <LoginView onLoggedIn={load} notice={state.notice} />;
  if (state.kind === "failed")
    return (
      <main id="main" class="narrow">
        <h1>Rampart</h1>
        <ErrorBox error={state.error} />
      </main>
    );
  const logout = async () => {
    // Signed out first, so the 401s of requests still on their way are not taken for a session that ended.
    stopLive();
    setState({ kind: "anonymous" });
    await api.logout().catch(() => undefined);
  };
  return (
    <Shell session={state.session} onLogout={logout}>
      <Routes session={state.session} />
    </Shell>
  );
}

function Routes(props: { session: Session }) {
  const [view, a, b] = useRoute();
  const { session } = props;
  if (view === "apps" && a && b) return <AppView session={session} env={a} app={b} />;
  if (view === "rollouts" && a && b) return <RolloutView session={session} env={a} app={b} />;
  if (view === "alerts") return <AlertsView session={session} />;
  if (view === "incidents" && a) return <IncidentView session={session} id={Number(a)} />;
  if (view === "incidents") return <IncidentsView />;
  if (view === "access") return <AccessView session={session} />;
  if (view === "flags") return <FlagsView session={session} />;
  if (view === "events") return <EventsView />;
  if (view === "audit") return <AuditView session={session} />;
  if (view === "logs" && a && b) return <LogsView env={a} app={b} />;
  if (view === "traces" && a) return <TraceView id={a} />;
  if (view === "flag" && a) return <FlagDetailView session={session} flagKey={a} />;
  if (view === "metrics" && a && b) return <MetricsView env={a} app={b} />;
  if (view === "readiness" && a && b) return <ReadinessView session={session} env={a} app={b} />;
  if (view === "parity") return <ParityView from={a} to={b} />;
  return <HomeView session={session} />;
}

const NAV: [string, string][] = [
  ["", "Home"],
  ["alerts", "Alerts & on-call"],
  ["incidents", "Incidents"],
  ["flags", "Flags"],
  ["access", "Access requests"],
  ["events", "Events"],
  ["audit", "Audit log"],
  ["parity", "Parity"],
];

function Shell(props: { session: Session; onLogout: () => void; children: ComponentChildren }) {
  const [view] = useRoute();
  const live = useLiveStatus();
  const [theme, setTheme] = useState(storedTheme);
  const { who } = props.session;
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <a class="brand" href={href()}>
          Rampart
        </a>
        <nav aria-label="Views">
          {NAV.map(([path, label]) => (
            <a key={path} href={href(path)} aria-current={(view ?? "") === path ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class={`live ${live}`} role="status" title="updates arrive over the API's event stream">
          {live === "live" ? "● live" : "○ reconnecting"}
        </span>
        <button
          type="button"
          aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}
          onClick={() => {
            const next = theme === "dark" ? "light" : "dark";
            saveTheme(next);
            setTheme(next);
          }}
        >
          {theme === "dark" ? "☀ Light" : "☾ Dark"}
        </button>
        <span class="who" title={who.grants.map((g) => `${g.role} in ${g.env}`).join(", ") || "no standing roles"}>
          {who.actor} <span class="muted">({roleSummary(props.session)})</span>
        </span>
        <button type="button" onClick={props.onLogout}>
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}

function roleSummary(session: Session): string {
  const { who } = session;
  if (who.kind === "root") return "local credentials";
  const parts = who.grants.map((g) => `${g.role}${g.env === "*" ? "" : `@${g.env}`}`);
  for (const t of who.timed) parts.push(`${t.role}@${t.env} until ${new Date(t.until).toLocaleTimeString()}`);
  return parts.join(", ") || "no roles";
}
