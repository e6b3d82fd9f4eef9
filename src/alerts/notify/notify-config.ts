import type { AlertNotifyFile, InhibitFile, ReceiverFile } from "./notify.schema.ts";
import { equalityMatchers, type LabelMatcher, parseMatcher } from "./label-matcher.ts";

/** Alertmanager's root-route defaults (dispatch/route.go). */
export const GROUP_WAIT_MS = 30_000;
export const GROUP_INTERVAL_MS = 5 * 60_000;
export const REPEAT_INTERVAL_MS = 4 * 3_600_000;
/**
 * Rampart's group_wait for a route that selects critical or warning alerts (`severity=critical|warning`) and sets
 * none: the default rules' `for` already waits out a blip, and with Alertmanager's 30 s on top a bad release, a
 * route answering 404 or a tripled p99 is heard of after more than the one-minute goal (docs/reliability.md "Alert
 * detection"). Alerts of one evaluation round still arrive together. A route's own group_wait wins.
 */
export const URGENT_GROUP_WAIT_MS = 10_000;
const URGENT = new Set(["critical", "warning"]);
/** Grouping per alert name and app in an environment unless a route says otherwise. */
export const DEFAULT_GROUP_BY = ["alertname", "env", "app"];
/**
 * An Alertmanager receiver is a forwarder, not a person: Alertmanager groups and repeats by itself and resolves an
 * alert nobody re-sent within its resolve_timeout, so (as Prometheus does) firing alerts go to it at once and again
 * every minute, each valid for four resends.
 */
export const ALERTMANAGER_RESEND_MS = 60_000;
/** The on-call view: always there, needs no declaration. */
export const CONSOLE_RECEIVER = "console";

export type SmtpSettings = { host: string; port: number; from: string; username?: string; passwordEnv?: string; secure?: boolean };
export type Receiver =
  | { kind: "webhook"; url: string }
  | { kind: "slack"; url: string }
  | { kind: "email"; to: string; smtp: SmtpSettings }
  | { kind: "alertmanager"; url: string }
  | { kind: "console" };

export interface NotifyRoute {
  matchers: LabelMatcher[];
  receiver: string;
  groupBy: readonly string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  continue: boolean;
}

export interface InhibitRule {
  source: LabelMatcher[];
  target: LabelMatcher[];
  equal: readonly string[];
}

export interface NotifyConfig {
  receivers: Readonly<Record<string, Receiver>>;
  /** Tried in order; the first match wins unless it says `continue`. */
  routes: readonly NotifyRoute[];
  /** For alerts no route matched. */
  fallback: NotifyRoute;
  inhibit: readonly InhibitRule[];
}

function toReceiver(r: ReceiverFile): Receiver {
  if (r.webhook) return { kind: "webhook", url: r.webhook };
  if (r.slack) return { kind: "slack", url: r.slack };
  if (r.alertmanager) return { kind: "alertmanager", url: r.alertmanager };
  if (r.email && r.smtp) {
    const s = r.smtp;
    return {
      kind: "email",
      to: r.email,
      smtp: { host: s.host, port: s.port, from: s.from, username: s.username, passwordEnv: s.password_env, secure: s.secure },
    };
  }
  return { kind: "console" };
}

function matcherStrings(list: readonly string[] | undefined): LabelMatcher[] {
  return (list ?? []).flatMap((text) => {
    const parsed = parseMatcher(text);
    return parsed.ok ? [parsed.matcher] : []; // the schema already rejected bad ones
  });
}

function route(matchers: LabelMatcher[], receiver: string, overrides: Partial<NotifyRoute> = {}): NotifyRoute {
  return {
    matchers,
    receiver,
    groupBy: DEFAULT_GROUP_BY,
    groupWaitMs: matchers.some((m) => m.name === "severity" && m.op === "=" && URGENT.has(m.value)) ? URGENT_GROUP_WAIT_MS : GROUP_WAIT_MS,
    groupIntervalMs: GROUP_INTERVAL_MS,
    repeatIntervalMs: REPEAT_INTERVAL_MS,
    continue: false,
    ...overrides,
  };
}

const defaultInhibit: InhibitRule = {
  source: [{ name: "severity", op: "=", value: "critical" }],
  target: [{ name: "severity", op: "=", value: "warning" }],
  equal: ["env", "app"],
};

function inhibitRule(rule: InhibitFile): InhibitRule {
  return {
    source: [...equalityMatchers(rule.source_match ?? {}), ...matcherStrings(rule.source_matchers)],
    target: [...equalityMatchers(rule.target_match ?? {}), ...matcherStrings(rule.target_matchers)],
    equal: rule.equal ?? [],
  };
}

/**
 * The manifest's notification settings with defaults applied. With no routes written, alerting is tiered as the
 * issue asks: info → the first Slack receiver (else the console), warning → the on-call view (console), critical
 * → the default receiver (else the console).
 */
export function resolveNotifyConfig(file: AlertNotifyFile | undefined): NotifyConfig {
  const receivers: Record<string, Receiver> = { [CONSOLE_RECEIVER]: { kind: "console" } };
  for (const [name, r] of Object.entries(file?.receivers ?? {})) receivers[name] = toReceiver(r);
  const defaultReceiver = file?.default_receiver ?? CONSOLE_RECEIVER;
  const routes: NotifyRoute[] =
    file?.routes && file.routes.length > 0
      ? file.routes.map((r) =>
          route([...equalityMatchers(r.match ?? {}), ...matcherStrings(r.matchers)], r.receiver, {
            ...(r.group_by ? { groupBy: r.group_by } : {}),
            ...(r.group_wait !== undefined ? { groupWaitMs: r.group_wait } : {}),
            ...(r.group_interval !== undefined ? { groupIntervalMs: r.group_interval } : {}),
            ...(r.repeat_interval !== undefined ? { repeatIntervalMs: r.repeat_interval } : {}),
            continue: r.continue ?? false,
          }),
        )
      : tieredRoutes(receivers, defaultReceiver);
  const forwarding = (r: NotifyRoute): NotifyRoute =>
    receivers[r.receiver]?.kind === "alertmanager"
      ? { ...r, groupWaitMs: 0, groupIntervalMs: ALERTMANAGER_RESEND_MS, repeatIntervalMs: ALERTMANAGER_RESEND_MS }
      : r;
  return {
    receivers,
    routes: routes.map(forwarding),
    fallback: forwarding(route([], defaultReceiver)),
    inhibit: file?.inhibit ? file.inhibit.map(inhibitRule) : [defaultInhibit],
  };
}

function tieredRoutes(receivers: Record<string, Receiver>, defaultReceiver: string): NotifyRoute[] {
  const chat = Object.entries(receivers).find(([, r]) => r.kind === "slack")?.[0] ?? CONSOLE_RECEIVER;
  const severity = (value: string): LabelMatcher[] => [{ name: "severity", op: "=", value }];
  return [route(severity("info"), chat), route(severity("warning"), CONSOLE_RECEIVER), route(severity("critical"), defaultReceiver)];
}
