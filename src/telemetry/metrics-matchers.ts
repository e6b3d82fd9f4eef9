import { LABEL_NAME, type Labels } from "./metrics.types.ts";

/**
 * Parses an equality selector as PromQL writes it: `env="production",app="web"` (braces optional, values in
 * double quotes with \" \\ \n escapes). Only `=` is supported; the error says where the text went wrong.
 */
export function parseMatchers(text: string): { ok: true; labels: Labels } | { ok: false; message: string } {
  let s = text.trim();
  if (s.startsWith("{") && s.endsWith("}")) s = s.slice(1, -1).trim();
  const labels: Labels = {};
  let i = 0;
  const fail = (what: string) => ({
    ok: false as const,
    message: `${what} at character ${i + 1} of ${JSON.stringify(text)}; expected label="value" pairs separated by commas, e.g. env="production",app="web"`,
  });
  while (i < s.length) {
    const nameMatch = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/.exec(s.slice(i));
    if (!nameMatch)
      return fail(
        /^\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(!=|=~|!~)/.test(s.slice(i)) ? "only = matchers are supported" : 'a label name followed by ="',
      );
    const name = nameMatch[1] as string;
    i += nameMatch[0].length;
    let value = "";
    for (;;) {
      if (i >= s.length) return fail("an unterminated value");
      const c = s[i] as string;
      if (c === "\\") {
        const next = s[i + 1];
        value += next === "n" ? "\n" : (next ?? "");
        i += 2;
        continue;
      }
      i++;
      if (c === '"') break;
      value += c;
    }
    if (!LABEL_NAME.test(name)) return fail(`invalid label name ${name}`);
    labels[name] = value;
    const rest = /^\s*(,|$)/.exec(s.slice(i));
    if (!rest) return fail("a comma");
    i += rest[0].length;
  }
  return { ok: true, labels };
}
