export type TokenKind = "number" | "duration" | "percent" | "ident" | "string" | "op" | "punct" | "end";

export interface Token {
  kind: TokenKind;
  text: string;
  /** 0-based offset in the expression. */
  pos: number;
  value?: number;
}

/** A parse failure with the character it happened at (1-based, as editors count) and what was expected there. */
export class ExprError extends Error {
  readonly position: number;
  readonly expected: string;

  constructor(source: string, pos: number, expected: string, found: string) {
    super(`at character ${pos + 1} of ${JSON.stringify(source)}: expected ${expected}, found ${found}`);
    this.name = "ExprError";
    this.position = pos + 1;
    this.expected = expected;
  }
}

const TWO_CHAR_OPS = new Set([">=", "<=", "==", "!="]);
const ONE_CHAR_OPS = new Set([">", "<", "+", "-", "*", "/"]);
const PUNCT = new Set(["(", ")", "{", "}", ",", "="]);

export function describeToken(token: Token): string {
  if (token.kind === "end") return "the end of the expression";
  return JSON.stringify(token.text);
}

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9.]/.test(c)) {
      const m = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?/i.exec(source.slice(i));
      if (!m) throw new ExprError(source, i, "a number", JSON.stringify(c));
      i += m[0].length;
      const unit = /^[a-z]+/.exec(source.slice(i));
      if (unit) {
        // A number glued to letters is a duration (5m, 1d, 500ms); its unit is checked when it is used.
        i += unit[0].length;
        tokens.push({ kind: "duration", text: source.slice(start, i), pos: start });
      } else if (source[i] === "%") {
        i++;
        tokens.push({ kind: "percent", text: source.slice(start, i), pos: start, value: Number(m[0]) / 100 });
      } else tokens.push({ kind: "number", text: m[0], pos: start, value: Number(m[0]) });
      continue;
    }
    if (/[a-zA-Z_]/.test(c)) {
      const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(source.slice(i)) as RegExpExecArray;
      i += m[0].length;
      tokens.push({ kind: "ident", text: m[0], pos: start });
      continue;
    }
    if (c === '"') {
      let text = "";
      i++;
      for (;;) {
        if (i >= source.length) throw new ExprError(source, start, 'a closing " for this string', "the end of the expression");
        const ch = source[i] as string;
        i++;
        if (ch === "\\") {
          text += source[i] ?? "";
          i++;
        } else if (ch === '"') break;
        else text += ch;
      }
      tokens.push({ kind: "string", text, pos: start });
      continue;
    }
    const two = source.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      tokens.push({ kind: "op", text: two, pos: start });
      i += 2;
      continue;
    }
    if (ONE_CHAR_OPS.has(c)) {
      tokens.push({ kind: "op", text: c, pos: start });
      i++;
      continue;
    }
    if (PUNCT.has(c)) {
      tokens.push({ kind: "punct", text: c, pos: start });
      i++;
      continue;
    }
    throw new ExprError(source, i, "a number, a name, an operator or a parenthesis", JSON.stringify(c));
  }
  tokens.push({ kind: "end", text: "", pos: source.length });
  return tokens;
}
