/**
 * Replaces an app's secret values in its output with `[redacted:KEY]` before a line reaches the log file (and so
 * the index, the API, the console). Also the forms a value is commonly printed in: base64 (standard, URL-safe,
 * with and without padding), URL-encoded (`%20` and `+` for spaces), JSON-escaped, and each line of a multi-line
 * value. Values shorter than MIN_REDACTED_CHARS are left alone: replacing every "1" in a log would hide
 * everything and protect nothing.
 */
export const MIN_REDACTED_CHARS = 4;

export type Redact = (line: string) => string;

export function createRedactor(secrets: Record<string, string>): Redact {
  const forms: { text: string; label: string }[] = [];
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(secrets)) {
    const label = `[redacted:${name}]`;
    const candidates = [value, ...encodings(value)];
    for (const part of value.split(/\r?\n/)) if (part !== value && part.length >= 8) candidates.push(part, ...encodings(part));
    for (const text of candidates) {
      if (text.length < MIN_REDACTED_CHARS || seen.has(text)) continue;
      seen.add(text);
      forms.push({ text, label });
    }
  }
  // Longest first: a value's base64 may contain a shorter secret, and the longer match must win.
  forms.sort((a, b) => b.text.length - a.text.length);
  if (forms.length === 0) return (line) => line;
  return (line) => {
    let out = line;
    for (const { text, label } of forms) if (out.includes(text)) out = out.split(text).join(label);
    return out;
  };
}

function encodings(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const b64 = bytes.toString("base64");
  const b64url = bytes.toString("base64url");
  const uri = encodeURIComponent(value);
  return [
    b64,
    b64.replace(/=+$/, ""),
    b64url,
    uri,
    uri.replace(/%20/g, "+"),
    // Lower-case escapes, as some libraries write them.
    uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    JSON.stringify(value).slice(1, -1),
  ];
}
