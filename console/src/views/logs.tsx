import { useEffect, useState } from "preact/hooks";
import type { LogLineView } from "../../../src/runtime/log.routes.ts";
import { api } from "../api.ts";
import { clock, ErrorBox } from "../ui.tsx";

/** Log search (grep, level) and a live tail, through the typed client's log routes. */
export function LogsView(props: { env: string; app: string }) {
  const { env, app } = props;
  const [grep, setGrep] = useState("");
  const [level, setLevel] = useState("");
  const [lines, setLines] = useState<LogLineView[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [tail, setTail] = useState(false);
  useEffect(() => {
    setError(null);
    api
      .logs(env, app, { grep: grep || undefined, level: level || undefined, limit: 500 })
      .then((found) => setLines([...found].reverse()), setError);
  }, [env, app, grep, level]);
  useEffect(() => {
    if (!tail) return;
    const controller = new AbortController();
    void (async () => {
      try {
        for await (const line of api.streamLogs(env, app, { grep: grep || undefined, level: level || undefined }, controller.signal, {})) {
          setLines((list) => [line, ...list].slice(0, 1000));
        }
      } catch (failure) {
        if (!controller.signal.aborted) setError(failure);
      }
    })();
    return () => controller.abort();
  }, [tail, env, app, grep, level]);
  return (
    <div class="stack">
      <h1>
        Logs of {app} in {env}
      </h1>
      <form class="inline" aria-label="Search logs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search <input value={grep} onChange={(e) => setGrep(e.currentTarget.value)} />
        </label>
        <label>
          Level at least{" "}
          <select value={level} onChange={(e) => setLevel(e.currentTarget.value)}>
            {["", "debug", "info", "warn", "error", "fatal"].map((l) => (
              <option key={l} value={l}>
                {l || "any"}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={tail} onChange={(e) => setTail(e.currentTarget.checked)} /> Live tail
        </label>
      </form>
      <ErrorBox error={error} />
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus to be scrolled by keyboard */}
      <section class="logs" tabIndex={0} aria-label="Log lines, newest first">
        <pre>{lines.map((l) => `${clock(l.time)} ${l.level.padEnd(5)} ${l.labels.instance ?? ""} ${l.text}\n`).join("")}</pre>
      </section>
    </div>
  );
}
