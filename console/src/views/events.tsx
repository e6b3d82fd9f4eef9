import { useState } from "preact/hooks";
import type { RampartEvent } from "../../../src/events/event.types.ts";
import { api } from "../api.ts";
import { useEvents, useLiveData } from "../live.ts";
import { clock, ErrorBox, Loading } from "../ui.tsx";

/** The event timeline across everything, newest first, filtered by type prefix, env or app; new events arrive live. */
export function EventsView() {
  const [type, setType] = useState("");
  const [env, setEnv] = useState("");
  const [app, setApp] = useState("");
  const filter = { type: type || undefined, env: env || undefined, app: app || undefined, limit: 300 };
  const { data, error } = useLiveData(
    () => api.events(filter),
    () => false,
    [type, env, app],
  );
  const [fresh, setFresh] = useState<RampartEvent[]>([]);
  useEvents(
    (e) => (!type || e.type.startsWith(type)) && (!env || e.env === env) && (!app || e.app === app) && e.type !== "audit.request",
    (e) => setFresh((list) => [e, ...list].slice(0, 200)),
    0,
  );
  return (
    <div class="stack">
      <h1>Events</h1>
      <form class="inline" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
        <label>
          Type <input value={type} placeholder="release." onChange={(e) => (setFresh([]), setType(e.currentTarget.value))} />
        </label>
        <label>
          Env <input value={env} onChange={(e) => (setFresh([]), setEnv(e.currentTarget.value))} />
        </label>
        <label>
          App <input value={app} onChange={(e) => (setFresh([]), setApp(e.currentTarget.value))} />
        </label>
      </form>
      <ErrorBox error={error} />
      {data ? <EventTable events={[...fresh, ...[...data].reverse()]} /> : <Loading />}
    </div>
  );
}

export function EventTable(props: { events: RampartEvent[] }) {
  return (
    <table class="grid">
      <caption class="sr-only">Events, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Type</th>
          <th scope="col">Env / app</th>
          <th scope="col">Message</th>
          <th scope="col">Actor</th>
        </tr>
      </thead>
      <tbody>
        {props.events.map((e) => (
          <tr key={e.id}>
            <td class="nowrap">{clock(e.at)}</td>
            <td>
              <span class={`tag ${e.type.split(".")[0]}`}>{e.type}</span>
            </td>
            <td>{[e.env, e.app, e.release === null ? null : `#${e.release}`].filter(Boolean).join(" / ")}</td>
            <td>{e.message}</td>
            <td>{e.actor}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
