import { parseDuration } from "../config/units.ts";

/**
 * The conditions a check's response must meet, written as in Gatus (`[STATUS] == 200`) or in Rampart's own words
 * (`status == 200`, `response_time < 300ms`, `body.status == UP`, `certificate_expires_in > 48h`). Parsed once when
 * the manifest is loaded, so a bad condition is a manifest error and never a failing check.
 */

export const OPERATORS = ["==", "!=", "<=", ">=", "<", ">"] as const;
export type Operator = (typeof OPERATORS)[number];

export type Subject =
  | { kind: "status" }
  | { kind: "response_time" }
  | { kind: "certificate_expires_in" }
  | { kind: "body"; path: (string | number)[] };

export interface Condition {
  text: string;
  subject: Subject;
  op: Operator;
  /** Milliseconds for response_time and certificate_expires_in; a number or text for body and status. */
  value: number | string;
}

/** What one probe saw, the input of every condition. */
export interface ProbeResult {
  /** null: no HTTP answer (refused, timed out, TLS failed); `error` says why. */
  status: number | null;
  elapsedMs: number;
  bodyText: string;
  /** Epoch ms the server certificate expires; null over plain HTTP. */
  certificateExpiresAt: number | null;
  error: string | null;
}

export const CONDITION_EXAMPLE = 'e.g. "status == 200", "response_time < 300ms", "body.status == UP", "certificate_expires_in > 48h"';

const SUBJECT_ALIASES: Record<string, Exclude<Subject, { kind: "body" }>> = {
  status: { kind: "status" },
  "[status]": { kind: "status" },
  response_time: { kind: "response_time" },
  "[response_time]": { kind: "response_time" },
  certificate_expires_in: { kind: "certificate_expires_in" },
  "[certificate_expiration]": { kind: "certificate_expires_in" },
};

export type ParseResult = { ok: true; condition: Condition } | { ok: false; message: string };

export function parseCondition(text: string): ParseResult {
  const match = /^\s*(\S+)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$/.exec(text);
  if (match === null) return fail(`"${text}" is not a condition: write SUBJECT OPERATOR VALUE, ${CONDITION_EXAMPLE}`);
  const [, left = "", op = "==", right = ""] = match;
  const subject = parseSubject(left);
  if (subject === null) {
    return fail(`"${left}" in "${text}" is not a subject: use status, response_time, body or body.FIELD, certificate_expires_in`);
  }
  const operator = OPERATORS.find((o) => o === op) ?? "==";
  if (subject.kind === "status") {
    const value = Number(right);
    if (!Number.isInteger(value)) return fail(`"${right}" in "${text}" is not an HTTP status: expected a number, e.g. status == 200`);
    return { ok: true, condition: { text, subject, op: operator, value } };
  }
  if (subject.kind === "response_time" || subject.kind === "certificate_expires_in") {
    // A bare number is milliseconds, as Gatus reads [RESPONSE_TIME] < 300.
    const parsed = /^\d+$/.test(right) ? { ok: true as const, value: Number(right) } : parseDuration(right);
    if (!parsed.ok) return fail(`"${right}" in "${text}" is not a duration: expected e.g. 300ms or 48h`);
    return { ok: true, condition: { text, subject, op: operator, value: parsed.value } };
  }
  const unquoted = /^"(.*)"$/.exec(right)?.[1] ?? right;
  return { ok: true, condition: { text, subject, op: operator, value: unquoted } };
}

function parseSubject(left: string): Subject | null {
  const alias = Object.hasOwn(SUBJECT_ALIASES, left.toLowerCase()) ? SUBJECT_ALIASES[left.toLowerCase()] : undefined;
  if (alias !== undefined) return alias;
  const body = /^(?:body|\[body\])(.*)$/i.exec(left);
  if (body === null) return null;
  const rest = body[1] ?? "";
  const path: (string | number)[] = [];
  const part = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]/y;
  let at = 0;
  while (at < rest.length) {
    part.lastIndex = at;
    const step = part.exec(rest);
    if (step === null) return null;
    path.push(step[1] !== undefined ? step[1] : Number(step[2]));
    at = part.lastIndex;
  }
  return { kind: "body", path };
}

function fail(message: string): ParseResult {
  return { ok: false, message };
}

/** Whether `result` meets the condition, and if not a message saying what was seen. */
export function evaluate(condition: Condition, result: ProbeResult, now: number): { ok: boolean; message: string } {
  const actual = actualValue(condition.subject, result, now);
  if (actual === undefined) return { ok: false, message: `${condition.text}: ${describeMissing(condition.subject, result)}` };
  const ok = compare(actual, condition.op, condition.value);
  return { ok, message: ok ? `${condition.text}: ok` : `${condition.text}: got ${show(condition.subject, actual)}` };
}

function actualValue(subject: Subject, result: ProbeResult, now: number): number | string | undefined {
  switch (subject.kind) {
    case "status":
      return result.status ?? undefined;
    case "response_time":
      return result.status === null ? undefined : result.elapsedMs;
    case "certificate_expires_in":
      return result.certificateExpiresAt === null ? undefined : result.certificateExpiresAt - now;
    case "body":
      return bodyValue(result.bodyText, subject.path);
  }
}

function bodyValue(text: string, path: (string | number)[]): number | string | undefined {
  if (path.length === 0) return text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  if (typeof value === "number" || typeof value === "string") return value;
  if (typeof value === "boolean" || value === null) return String(value);
  return value === undefined ? undefined : JSON.stringify(value);
}

function compare(actual: number | string, op: Operator, expected: number | string): boolean {
  const numeric = Number(actual);
  const wanted = Number(expected);
  const bothNumbers = actual !== "" && expected !== "" && Number.isFinite(numeric) && Number.isFinite(wanted);
  switch (op) {
    case "==":
      return bothNumbers ? numeric === wanted : String(actual) === String(expected);
    case "!=":
      return bothNumbers ? numeric !== wanted : String(actual) !== String(expected);
    case "<":
      return bothNumbers && numeric < wanted;
    case "<=":
      return bothNumbers && numeric <= wanted;
    case ">":
      return bothNumbers && numeric > wanted;
    case ">=":
      return bothNumbers && numeric >= wanted;
  }
}

function describeMissing(subject: Subject, result: ProbeResult): string {
  if (result.status === null) return `no response (${result.error ?? "unknown error"})`;
  if (subject.kind === "certificate_expires_in") return "no certificate (the target is plain HTTP)";
  return "the body has no such field (or is not JSON)";
}

function show(subject: Subject, actual: number | string): string {
  if (subject.kind === "response_time") return `${Math.round(Number(actual))}ms`;
  if (subject.kind === "certificate_expires_in") return `${Math.floor(Number(actual) / 3_600_000)}h`;
  return JSON.stringify(actual);
}
