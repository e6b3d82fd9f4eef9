import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "./api.ts";
import type { Permit } from "./session.ts";

export function ago(at: number | null, now = Date.now()): string {
  if (at === null) return "—";
  const s = Math.round((now - at) / 1000);
  if (s < 60) return `${Math.max(s, 0)}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export function clock(at: number): string {
  return new Date(at).toLocaleString(undefined, { hour12: false });
}

export function ms(value: number | null): string {
  return value === null ? "—" : value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

export function ErrorBox(props: { error: unknown }) {
  if (!props.error) return null;
  const { message, hint } = describeError(props.error);
  return (
    <div class="error" role="alert">
      <strong>{message}</strong>
      {hint && <div class="hint">{hint}</div>}
    </div>
  );
}

export function Loading() {
  return <p class="muted">Loading…</p>;
}

export interface Column<T> {
  key: string;
  label: string;
  /** What the column sorts by; without it the column does not sort. */
  sort?: (row: T) => number | string | null;
  render: (row: T) => ComponentChildren;
  numeric?: boolean;
}

/** A dense table whose headers sort it (click or Enter on the header's button; again to reverse). */
export function Table<T>(props: { caption: string; columns: Column<T>[]; rows: T[]; rowKey: (row: T) => string; empty?: string }) {
  const [sortBy, setSortBy] = useState<{ key: string; dir: 1 | -1 } | null>(null);
  const column = props.columns.find((c) => c.key === sortBy?.key);
  const rows =
    column?.sort && sortBy
      ? [...props.rows].sort((a, b) => compare(column.sort?.(a) ?? null, column.sort?.(b) ?? null) * sortBy.dir)
      : props.rows;
  return (
    <table class="grid">
      <caption class="sr-only">{props.caption}</caption>
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th
              key={c.key}
              scope="col"
              class={c.numeric ? "num" : undefined}
              aria-sort={sortBy?.key === c.key ? (sortBy.dir === 1 ? "ascending" : "descending") : undefined}
            >
              {c.sort ? (
                <button
                  type="button"
                  class="sort"
                  onClick={() => setSortBy(sortBy?.key === c.key ? { key: c.key, dir: sortBy.dir === 1 ? -1 : 1 } : { key: c.key, dir: 1 })}
                >
                  {c.label}
                  <span aria-hidden="true">{sortBy?.key === c.key ? (sortBy.dir === 1 ? " ▲" : " ▼") : ""}</span>
                </button>
              ) : (
                c.label
              )}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={props.columns.length} class="muted">
              {props.empty ?? "Nothing here."}
            </td>
          </tr>
        ) : (
          rows.map((row) => (
            <tr key={props.rowKey(row)}>
              {props.columns.map((c) => (
                <td key={c.key} class={c.numeric ? "num" : undefined}>
                  {c.render(row)}
                </td>
              ))}
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

function compare(a: number | string | null, b: number | string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b));
}

/** An SVG sparkline (dozens per page: cheaper than a chart each); gaps where there was no traffic. */
export function Sparkline(props: { values: (number | null)[]; label: string }) {
  const width = 90;
  const height = 18;
  const present = props.values.filter((v): v is number => v !== null);
  if (present.length === 0) return <span class="muted">no traffic</span>;
  const max = Math.max(...present, 1);
  const step = width / Math.max(props.values.length - 1, 1);
  let path = "";
  let pen = false;
  props.values.forEach((v, i) => {
    if (v === null) return void (pen = false);
    const lone = !pen && (props.values[i + 1] ?? null) === null;
    // A minute with traffic between two without is a short dash, so it shows.
    path += `${pen ? "L" : "M"}${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}${lone ? "h2" : ""}`;
    pen = true;
  });
  return (
    <svg class="spark" width={width} height={height} role="img" aria-label={props.label}>
      <path d={path} />
    </svg>
  );
}

/**
 * A button for an API action. When the user may not do it, it stays focusable but inert (aria-disabled) and says
 * why and the command that gets access; otherwise it asks to confirm (worded by `confirm`) and then runs it.
 */
export function ActionButton(props: {
  label: string;
  permit: Permit;
  run: () => Promise<unknown>;
  confirm?: { title: string; body: ComponentChildren; yes: string };
  danger?: boolean;
  onDone?: (result: unknown) => void;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [why, setWhy] = useState(false);
  const go = async () => {
    setAsking(false);
    setBusy(true);
    setError(null);
    try {
      // Not `onDone?.(await run())`: an optional call skips its arguments, so without onDone nothing would run.
      const result = await props.run();
      props.onDone?.(result);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const { permit } = props;
  return (
    <span class="action">
      <button
        type="button"
        class={props.danger ? "danger" : undefined}
        aria-disabled={!permit.allowed || busy}
        title={permit.allowed ? undefined : `${permit.why}. To get access: ${permit.command}`}
        onClick={() => {
          if (!permit.allowed) return setWhy(!why);
          if (busy) return;
          if (props.confirm) setAsking(true);
          else void go();
        }}
      >
        {busy ? `${props.label}…` : props.label}
      </button>
      {!permit.allowed && why && (
        <span class="why" role="note">
          Not allowed: {permit.why}. To get access: <code>{permit.command}</code>
        </span>
      )}
      {asking && props.confirm && (
        <Confirm title={props.confirm.title} yes={props.confirm.yes} danger={props.danger} onYes={go} onNo={() => setAsking(false)}>
          {props.confirm.body}
        </Confirm>
      )}
      <ErrorBox error={error} />
    </span>
  );
}

/** A modal dialog (the browser's own <dialog>: focus trapped, Escape cancels). */
export function Confirm(props: {
  title: string;
  yes: string;
  danger?: boolean | undefined;
  onYes: () => void;
  onNo: () => void;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onCancel={props.onNo}>
      <h2 id="confirm-title">{props.title}</h2>
      <div>{props.children}</div>
      <div class="buttons">
        <button type="button" onClick={props.onNo}>
          Cancel
        </button>
        <button type="button" class={props.danger ? "danger" : "primary"} onClick={props.onYes}>
          {props.yes}
        </button>
      </div>
    </dialog>
  );
}

export function Section(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="panel" aria-label={props.title}>
      <header>
        <h2>{props.title}</h2>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}
