/**
 * The one text/event-stream parser, shared by the SDK and Rampart's CLI client (WHATWG "interpreting an event
 * stream"): lines end with CRLF, LF or a lone CR, also when a chunk ends between the CR and the LF; a leading BOM
 * is dropped; `id` persists across events until changed (the last event id a reconnect resumes from) and is
 * ignored when it contains NUL; comments (`: ping`) and events without data are not dispatched.
 */
export interface SseEvent {
  event: string;
  data: string;
  /** The last event id the stream set, at or before this event. */
  id: string | undefined;
}

export async function* readEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder(); // drops a leading BOM itself
  let buffer = "";
  // A chunk that ended with CR: an LF starting the next one belongs to the same line break.
  let skipLf = false;
  let event = "";
  let id: string | undefined;
  let data: string[] = [];
  const line = (text: string): SseEvent | undefined => {
    if (text === "") {
      const dispatched = data.length > 0 ? { event: event || "message", data: data.join("\n"), id } : undefined;
      event = "";
      data = [];
      return dispatched;
    }
    if (text.charCodeAt(0) === 58 /* : comment, e.g. ping */) return undefined;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id" && !value.includes("\u0000")) id = value;
    return undefined;
  };
  for await (const chunk of body) {
    // Only the new text can hold a line end: a long line arriving in many chunks is scanned once.
    let i = buffer.length;
    buffer += decoder.decode(chunk, { stream: true });
    if (skipLf && i < buffer.length) {
      if (buffer.charCodeAt(i) === 10) buffer = buffer.slice(0, i) + buffer.slice(i + 1);
      skipLf = false;
    }
    let start = 0;
    for (; i < buffer.length; i++) {
      const c = buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const dispatched = line(buffer.slice(start, i));
      if (c === 13) {
        if (i + 1 === buffer.length) skipLf = true;
        else if (buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
      if (dispatched) yield dispatched;
    }
    buffer = buffer.slice(start);
  }
}
