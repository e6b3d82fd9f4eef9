/**
 * logfmt lines, as Go's log/slog text handler (`time=… level=ERROR msg="connection failed" attempt=3`) and
 * logrus's text formatter (`time="…" level=warning msg="…" number=122`) write them. A line counts as logfmt
 * only when it is wholly `key=value` pairs and names a level or a message, so prose that happens to hold an
 * `=` stays plain text. Values are strings (logfmt has no types); quoted values take Go's escapes.
 */
export function parseLogfmt(text: string): Record<string, string> | undefined {
  // Cheap rejection first: this runs on every plain line that is ingested.
  if (!FIRST_PAIR.test(text)) return undefined;
  const record: Record<string, string> = {};
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && (text[i] === " " || text[i] === "\t")) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n && text[i] !== "=" && text[i] !== " " && text[i] !== "\t" && text[i] !== '"') i++;
    if (i === keyStart || text[i] !== "=") return undefined;
    const key = text.slice(keyStart, i);
    i++;
    let value = "";
    if (text[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = text[i] as string;
        if (c === "\\" && i + 1 < n) {
          const next = text[i + 1] as string;
          value += next === "n" ? "\n" : next === "t" ? "\t" : next === "r" ? "\r" : next;
          i += 2;
          continue;
        }
        i++;
        if (c === '"') {
          closed = true;
          break;
        }
        value += c;
      }
      if (!closed || (i < n && text[i] !== " " && text[i] !== "\t")) return undefined;
    } else {
      const start = i;
      while (i < n && text[i] !== " " && text[i] !== "\t") i++;
      value = text.slice(start, i);
      if (value.includes('"')) return undefined;
    }
    record[key] = value;
  }
  return "level" in record || "lvl" in record || "msg" in record ? record : undefined;
}

const FIRST_PAIR = /^[A-Za-z_][\w.\-/]*=/;
