import { useEffect, useRef, useState } from "preact/hooks";
import type { RampartEvent } from "../../src/events/event.types.ts";
import { api } from "./api.ts";

type Listener = (event: RampartEvent) => void;
const listeners = new Set<Listener>();
let connection: AbortController | null = null;
let status: "connecting" | "live" | "reconnecting" = "connecting";
const statusListeners = new Set<(s: typeof status) => void>();

function setStatus(next: typeof status): void {
  status = next;
  for (const l of statusListeners) l(next);
}

/**
 * The id the page's stream starts after: the newest event the caller may read, asked before any view loads. A view
 * loads after it, so whatever changes after a view's load is in the stream, even if it happens while the stream is
 * still connecting (a stream started from its connection missed those). 0 on an empty log: everything after it.
 * Undefined when the log could not be read: the stream then starts from its connection, rather than replaying the
 * whole log into the page.
 */
export async function liveStart(): Promise<string | undefined> {
  const newest = await api.events({ limit: 1 }).then(
    (events) => events[0]?.id ?? 0,
    () => undefined,
  );
  return newest === undefined ? undefined : String(newest);
}

/**
 * One event stream for the whole page (the API's SSE stream, through the typed client), starting after `after`
 * (see {@link liveStart}), reconnecting and resuming after its last event; each view subscribes to what concerns it.
 */
export function startLive(after: string | undefined): void {
  if (connection) return;
  const controller = new AbortController();
  connection = controller;
  void (async () => {
    try {
      const follow = {
        lastEventId: after,
        onReconnecting: () => setStatus("reconnecting"),
        onReconnected: () => setStatus("live"),
      };
      setStatus("live");
      for await (const event of api.streamEvents({}, controller.signal, follow)) {
        for (const l of listeners) l(event);
      }
    } catch {
      if (!controller.signal.aborted) setStatus("reconnecting");
    }
  })();
}

export function stopLive(): void {
  connection?.abort();
  connection = null;
}

export function useLiveStatus(): typeof status {
  const [value, setValue] = useState(status);
  useEffect(() => {
    statusListeners.add(setValue);
    return () => void statusListeners.delete(setValue);
  }, []);
  return value;
}

/** Calls `onEvent` for each new event that `matches`; at most once per `debounceMs` when events come in bursts. */
export function useEvents(matches: (event: RampartEvent) => boolean, onEvent: (event: RampartEvent) => void, debounceMs = 300): void {
  const latest = useRef({ matches, onEvent });
  latest.current = { matches, onEvent };
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let pending: RampartEvent | null = null;
    const listener: Listener = (event) => {
      if (!latest.current.matches(event)) return;
      pending = event;
      timer ??= setTimeout(() => {
        timer = undefined;
        if (pending) latest.current.onEvent(pending);
      }, debounceMs);
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (timer) clearTimeout(timer);
    };
  }, [debounceMs]);
}

/** Loads with `load`, again on every matching event (live without reload); `reload` for after an action. */
export function useLiveData<T>(
  load: () => Promise<T>,
  matches: (event: RampartEvent) => boolean,
  deps: unknown[] = [],
): { data: T | null; error: unknown; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const generation = useRef(0);
  const reload = () => {
    const mine = ++generation.current;
    load().then(
      (value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(null);
      },
      (failure: unknown) => {
        if (mine === generation.current) setError(failure);
      },
    );
  };
  useEffect(() => {
    setData(null);
    reload();
  }, deps);
  useEvents(matches, reload);
  return { data, error, reload };
}
