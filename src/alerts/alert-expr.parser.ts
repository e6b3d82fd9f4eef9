import { parseDuration } from "../config/units.ts";
import { LABEL_NAME, METRIC_NAME } from "../telemetry/metrics.types.ts";
import { describeToken, ExprError, type Token, tokenize } from "./alert-expr.lexer.ts";
import {
  type CompareOp,
  type CondNode,
  type ExprNode,
  instantMeasures,
  type InstantMeasure,
  MAX_BASELINE_WINDOW_MS,
  MAX_MEASURE_WINDOW_MS,
  windowedMeasures,
  type WindowedMeasure,
} from "./alert-expr.types.ts";

export { ExprError } from "./alert-expr.lexer.ts";

/** Bounds that keep a hostile expression (API input) from exhausting the stack. */
export const MAX_EXPRESSION_LENGTH = 2000;
const MAX_DEPTH = 32;

const COMPARE = new Set(["<", "<=", ">", ">=", "==", "!="]);
const FUNCTIONS = [...windowedMeasures, ...instantMeasures, "metric", "baseline", "check_failed", "status_ratio"].join(", ");
/** A status class or an exact code, as status_ratio takes it. */
const STATUS = /^[1-5](xx|\d\d)$/;

/**
 * Parses an alert condition: comparisons of measurements joined by `and`/`or`, e.g.
 * `error_ratio(5m) > 0.05 and request_rate(5m) > 1`. Throws ExprError with the position and what was expected.
 */
export function parseCondition(source: string): CondNode {
  if (source.length > MAX_EXPRESSION_LENGTH)
    throw new ExprError(
      source.slice(0, 40),
      MAX_EXPRESSION_LENGTH,
      `an expression of at most ${MAX_EXPRESSION_LENGTH} characters`,
      `${source.length}`,
    );
  const parser = new Parser(source);
  const node = parser.condition();
  parser.expectEnd();
  return node;
}

class Parser {
  readonly #source: string;
  readonly #tokens: Token[];
  #i = 0;
  #depth = 0;

  constructor(source: string) {
    this.#source = source;
    this.#tokens = tokenize(source);
  }

  condition(): CondNode {
    let left = this.#conjunction();
    while (this.#peekWord("or")) {
      this.#i++;
      left = { kind: "logic", op: "or", left, right: this.#conjunction() };
    }
    return left;
  }

  expectEnd(): void {
    const t = this.#peek();
    if (t.kind !== "end") this.#fail(t, "an operator (and, or, >, +, …) or the end of the expression");
  }

  #conjunction(): CondNode {
    let left = this.#comparison();
    while (this.#peekWord("and")) {
      this.#i++;
      left = { kind: "logic", op: "and", left, right: this.#comparison() };
    }
    return left;
  }

  #comparison(): CondNode {
    const t = this.#peek();
    // A parenthesised condition (a or b) and c; a parenthesised arithmetic expression is handled below.
    if (t.text === "(" && this.#parenHoldsCondition()) {
      this.#i++;
      this.#enter(t);
      const inner = this.condition();
      this.#expectPunct(")");
      this.#depth--;
      return inner;
    }
    const left = this.#sum();
    const op = this.#peek();
    if (op.kind !== "op" || !COMPARE.has(op.text))
      this.#fail(op, "a comparison (>, >=, <, <=, ==, !=): a condition compares, e.g. error_ratio(5m) > 0.05");
    this.#i++;
    return { kind: "compare", op: op.text as CompareOp, left, right: this.#sum() };
  }

  /** Looks ahead to the matching parenthesis: does a comparison or and/or occur inside it at depth 1? */
  #parenHoldsCondition(): boolean {
    let depth = 0;
    for (let j = this.#i; j < this.#tokens.length; j++) {
      const t = this.#tokens[j] as Token;
      if (t.text === "(" && t.kind === "punct") depth++;
      else if (t.text === ")" && t.kind === "punct") {
        depth--;
        if (depth === 0) return false;
      } else if (depth === 1 && ((t.kind === "op" && COMPARE.has(t.text)) || (t.kind === "ident" && (t.text === "and" || t.text === "or"))))
        return true;
    }
    return false;
  }

  #sum(): ExprNode {
    let left = this.#product();
    for (let t = this.#peek(); t.kind === "op" && (t.text === "+" || t.text === "-"); t = this.#peek()) {
      this.#i++;
      left = { kind: "arith", op: t.text, left, right: this.#product() };
    }
    return left;
  }

  #product(): ExprNode {
    let left = this.#unary();
    for (let t = this.#peek(); t.kind === "op" && (t.text === "*" || t.text === "/"); t = this.#peek()) {
      this.#i++;
      left = { kind: "arith", op: t.text, left, right: this.#unary() };
    }
    return left;
  }

  #unary(): ExprNode {
    const t = this.#peek();
    if (t.kind === "op" && t.text === "-") {
      this.#i++;
      this.#enter(t);
      const operand = this.#unary();
      this.#depth--;
      return { kind: "neg", operand };
    }
    return this.#primary();
  }

  #primary(): ExprNode {
    const t = this.#next();
    if (t.kind === "number" || t.kind === "percent") return { kind: "number", value: t.value as number };
    if (t.kind === "punct" && t.text === "(") {
      this.#enter(t);
      const inner = this.#sum();
      this.#expectPunct(")");
      this.#depth--;
      return inner;
    }
    if (t.kind === "duration") this.#fail(t, "a number or a measurement (a duration only goes inside a function, e.g. error_ratio(5m))");
    if (t.kind !== "ident") this.#fail(t, `a number or a measurement (${FUNCTIONS})`);
    return this.#call(t);
  }

  #call(name: Token): ExprNode {
    const fn = name.text;
    if ((instantMeasures as readonly string[]).includes(fn)) {
      if (this.#peek().text === "(") {
        this.#i++;
        this.#expectPunct(")");
      }
      return { kind: "instant", measure: fn as InstantMeasure };
    }
    const known = [...windowedMeasures, "metric", "baseline", "check_failed", "status_ratio"] as readonly string[];
    if (!known.includes(fn)) this.#fail(name, `a measurement (${FUNCTIONS})`);
    this.#expectPunct("(");
    let node: ExprNode;
    if (fn === "metric") {
      const metric = this.#next();
      if (metric.kind !== "string" || !METRIC_NAME.test(metric.text))
        this.#fail(metric, 'a metric name in double quotes, e.g. metric("http_requests_total", {code="500"}, 5m)');
      let labels: Record<string, string> = {};
      this.#expectPunct(",");
      if (this.#peek().text === "{") {
        labels = this.#labels();
        this.#expectPunct(",");
      }
      node = { kind: "metric", name: metric.text, labels, windowMs: this.#duration(MAX_MEASURE_WINDOW_MS) };
    } else if (fn === "baseline") {
      const measure = this.#next();
      if (measure.kind !== "ident" || !(windowedMeasures as readonly string[]).includes(measure.text))
        this.#fail(measure, `the name of a windowed measurement (${windowedMeasures.join(", ")}), e.g. baseline(latency_p99, 1d)`);
      this.#expectPunct(",");
      node = { kind: "baseline", measure: measure.text as WindowedMeasure, windowMs: this.#duration(MAX_BASELINE_WINDOW_MS) };
    } else if (fn === "check_failed") {
      const arg = this.#peek();
      let check: string | null = null;
      if (arg.kind === "string") {
        this.#i++;
        check = arg.text;
      } else if (arg.text !== ")") this.#fail(arg, 'a check name in double quotes, or nothing for any check: check_failed("home")');
      node = { kind: "check_failed", check };
    } else if (fn === "status_ratio") {
      const status = this.#next();
      if (status.kind !== "string" || !STATUS.test(status.text))
        this.#fail(status, 'a status class or code in double quotes, e.g. status_ratio("4xx", 1m) or status_ratio("404", 1m)');
      this.#expectPunct(",");
      node = { kind: "status_ratio", status: status.text, windowMs: this.#duration(MAX_MEASURE_WINDOW_MS) };
    } else node = { kind: "windowed", measure: fn as WindowedMeasure, windowMs: this.#duration(MAX_MEASURE_WINDOW_MS) };
    this.#expectPunct(")");
    return node;
  }

  #labels(): Record<string, string> {
    this.#expectPunct("{");
    const labels: Record<string, string> = {};
    while (this.#peek().text !== "}") {
      const key = this.#next();
      if (key.kind !== "ident" || !LABEL_NAME.test(key.text)) this.#fail(key, 'a label name, e.g. {code="500"}');
      this.#expectPunct("=");
      const value = this.#next();
      if (value.kind !== "string") this.#fail(value, `a label value in double quotes, e.g. ${key.text}="500"`);
      labels[key.text] = value.text;
      if (this.#peek().text === ",") this.#i++;
      else if (this.#peek().text !== "}") this.#fail(this.#peek(), "a comma or }");
    }
    this.#i++;
    return labels;
  }

  #duration(maxMs: number): number {
    const t = this.#next();
    if (t.kind !== "duration") this.#fail(t, "a duration such as 30s, 5m, 1h or 1d");
    const parsed = parseDuration(t.text);
    if (!parsed.ok) this.#fail(t, "a duration such as 30s, 5m, 1h or 1d");
    if (parsed.value < 1000 || parsed.value > maxMs)
      this.#fail(t, `a duration from 1s to ${maxMs >= 86_400_000 ? `${maxMs / 86_400_000}d` : `${maxMs / 3600_000}h`}`);
    return parsed.value;
  }

  #enter(token: Token): void {
    if (++this.#depth > MAX_DEPTH) this.#fail(token, `at most ${MAX_DEPTH} nested parentheses or minus signs`);
  }

  #expectPunct(text: string): void {
    const t = this.#next();
    if (t.kind !== "punct" || t.text !== text) this.#fail(t, JSON.stringify(text));
  }

  #peekWord(word: string): boolean {
    const t = this.#peek();
    return t.kind === "ident" && t.text === word;
  }

  #peek(): Token {
    return this.#tokens[this.#i] as Token;
  }

  #next(): Token {
    const t = this.#tokens[this.#i] as Token;
    if (t.kind !== "end") this.#i++;
    return t;
  }

  #fail(token: Token, expected: string): never {
    throw new ExprError(this.#source, token.pos, expected, describeToken(token));
  }
}
