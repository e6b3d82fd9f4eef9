import { api } from "../api.ts";
import { useLiveData } from "../live.ts";
import { ErrorBox, Loading, ms } from "../ui.tsx";

/** A trace as a waterfall: each span a bar from its start, indented under its parent. */
export function TraceView(props: { id: string }) {
  const { data, error } = useLiveData(
    () => api.trace(props.id),
    () => false,
    [props.id],
  );
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  const spans = data.spans;
  if (spans.length === 0) return <p>No span stored for trace {props.id}.</p>;
  const start = Math.min(...spans.map((s) => s.startMs));
  const end = Math.max(...spans.map((s) => s.startMs + s.durationMs));
  const total = Math.max(end - start, 0.001);
  const children = new Map<string | null, typeof spans>();
  const ids = new Set(spans.map((s) => s.spanId));
  for (const s of spans) {
    const parent = s.parentSpanId !== null && ids.has(s.parentSpanId) ? s.parentSpanId : null;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const ordered: { span: (typeof spans)[number]; depth: number }[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const s of [...(children.get(parent) ?? [])].sort((a, b) => a.startMs - b.startMs)) {
      ordered.push({ span: s, depth });
      walk(s.spanId, depth + 1);
    }
  };
  walk(null, 0);
  return (
    <div class="stack">
      <h1>
        Trace <code>{props.id}</code> <span class="muted">{ms(total)}</span>
      </h1>
      <table class="grid waterfall">
        <caption class="sr-only">Spans of the trace, in start order, children under their parent</caption>
        <thead>
          <tr>
            <th scope="col">Span</th>
            <th scope="col">Service</th>
            <th scope="col" class="num">
              Duration
            </th>
            <th scope="col" class="bars">
              Timeline
            </th>
          </tr>
        </thead>
        <tbody>
          {ordered.map(({ span, depth }) => (
            <tr key={span.spanId} class={span.error ? "bad" : undefined}>
              <td style={{ paddingLeft: `${0.4 + depth}rem` }}>
                {span.name}
                {span.httpStatus !== null && <span class="muted"> {span.httpStatus}</span>}
              </td>
              <td>{span.service}</td>
              <td class="num">{ms(span.durationMs)}</td>
              <td class="bars">
                <div
                  class="bar"
                  style={{
                    marginLeft: `${((span.startMs - start) / total) * 100}%`,
                    width: `${Math.max((span.durationMs / total) * 100, 0.5)}%`,
                  }}
                  title={`starts at +${ms(span.startMs - start)}`}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
