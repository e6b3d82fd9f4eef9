import { iso, type IncidentAnalysis } from "./incident-analysis.ts";
import type { IncidentRecord, PostmortemRecord } from "./incident.store.ts";
import type { Postmortem } from "./incident.types.ts";
import { pct } from "./impact.ts";

/** Why a postmortem is owed: SEV-1 and SEV-2, and any incident with a rollback (an on-call intervention). */
export function requiredBecause(incident: IncidentRecord, rolledBack: boolean): string[] {
  const reasons: string[] = [];
  if (incident.severity <= 2) reasons.push(`SEV-${incident.severity}: every SEV-1 and SEV-2 gets a postmortem`);
  if (rolledBack) reasons.push("a release was rolled back during it");
  return reasons;
}

export function postmortemState(required: boolean, edits: PostmortemRecord | null): Postmortem["state"] {
  if (edits?.edits.written) return "written";
  return required ? "owed" : "not required";
}

/** The blameless draft: generated from the timeline and the measurements, with what people wrote over it. */
export function draftPostmortem(incident: IncidentRecord, a: IncidentAnalysis, saved: PostmortemRecord | null): Postmortem {
  const reasons = requiredBecause(incident, a.rolledBack);
  const where = [incident.app, incident.env].filter(Boolean).join(" in ") || "the platform";
  const minutes = (ms: number | null) => (ms === null ? "unknown" : `${(ms / 60_000).toFixed(1)} min`);
  const impactLine =
    a.impact.startedAt === null
      ? "No change in the edge's error ratio or latency was measured."
      : `${a.impact.failedRequests} of ${a.impact.totalRequests} requests failed (${a.impact.failedShare === null ? "n/a" : pct(a.impact.failedShare)})${a.impact.distinctUsers ? ` for ${a.impact.distinctUsers} distinct user(s)` : ""} over ${minutes(a.impact.durationMs)}.`;
  const alerts = incident.alerts.length;
  const detection =
    (incident.openedBy === "rampart" && alerts > 0) || a.detectedAt < incident.openedAt
      ? `Detected by an alert at ${iso(a.detectedAt)}, ${minutes(a.measures.mttdMs)} after the impact began.`
      : `Opened by ${incident.openedBy} at ${iso(incident.openedAt)}${alerts > 0 ? ` (${alerts} alert(s) joined)` : " without an alert"}; ${minutes(a.measures.mttdMs)} after the impact began.`;
  const roles = incident.roles;
  const response = [
    incident.acknowledgedAt === null
      ? "Not acknowledged."
      : `Acknowledged at ${iso(incident.acknowledgedAt)} (${minutes(a.measures.mttaMs)} after detection).`,
    roles.commander ? `Incident commander: ${roles.commander}.` : "No incident commander was named.",
    roles.scribe ? `Scribe: ${roles.scribe}.` : "",
    roles.sme.length > 0 ? `Subject matter experts: ${roles.sme.join(", ")}.` : "",
  ]
    .filter(Boolean)
    .join(" ");
  const recovery = a.mitigation
    ? `Mitigated by ${a.mitigation.type} (${a.mitigation.actor}) at ${iso(a.mitigation.at)}: ${a.mitigation.message}. ${incident.resolvedAt === null ? "Not resolved yet." : `Resolved at ${iso(incident.resolvedAt)}.`}`
    : incident.mitigatedAt !== null
      ? `Mitigated at ${iso(incident.mitigatedAt)} (recorded by the responders).`
      : "No rollback, abort, flag kill or flag turned off was recorded.";
  const wentWell: string[] = [];
  const wentBadly: string[] = [];
  if (a.mitigation && a.mitigation.actor === "rampart")
    wentWell.push(`Rampart mitigated by itself (${a.mitigation.type}) ${minutes(a.measures.mttmMs)} after the impact began.`);
  if (a.measures.mttdMs !== null && a.measures.mttdMs <= 5 * 60_000) wentWell.push(`Detected within ${minutes(a.measures.mttdMs)}.`);
  if (a.measures.mttdMs !== null && a.measures.mttdMs > 5 * 60_000) wentBadly.push(`Detection took ${minutes(a.measures.mttdMs)}.`);
  if (alerts === 0 && a.alertsFired === 0) wentBadly.push("No alert fired: the incident was found by hand (a monitoring gap).");
  if (!roles.commander) wentBadly.push("No incident commander was named.");
  const generated: Postmortem = {
    incidentId: incident.id,
    title: incident.title,
    required: reasons.length > 0,
    requiredBecause: reasons,
    state: postmortemState(reasons.length > 0, saved),
    summary: `SEV-${incident.severity} "${incident.title}" affected ${where}. ${impactLine}`,
    impact: a.impact,
    trigger: a.suspect
      ? `Most likely: ${a.suspect.message} (${a.suspect.type} at ${iso(a.suspect.at)}). Evidence: ${a.suspect.evidence.join("; ")}.`
      : "No deploy or flag change was found before the impact.",
    detection,
    response,
    recovery,
    timeline: a.timeline,
    wentWell,
    wentBadly,
    actionItems: [],
    measures: a.measures,
    editedBy: saved?.updatedBy ?? null,
    editedAt: saved?.updatedAt ?? null,
  };
  const { written: _written, ...edits } = saved?.edits ?? {};
  return { ...generated, ...edits };
}

export function postmortemMarkdown(p: Postmortem): string {
  const list = (items: string[]) => (items.length === 0 ? "- (none)" : items.map((i) => `- ${i}`).join("\n"));
  const m = p.measures;
  const min = (ms: number | null) => (ms === null ? "–" : `${(ms / 60_000).toFixed(1)} min`);
  return [
    `# Postmortem: incident ${p.incidentId} — ${p.title}`,
    "",
    `State: ${p.state}${p.requiredBecause.length > 0 ? ` (required: ${p.requiredBecause.join("; ")})` : ""}. Blameless: what in the system allowed this, not who.`,
    "",
    "## Summary",
    p.summary,
    "",
    "## Impact",
    `- started: ${p.impact.startedAt === null ? "not measured" : iso(p.impact.startedAt)}`,
    `- duration: ${min(p.impact.durationMs)}`,
    `- failed requests: ${p.impact.failedRequests} of ${p.impact.totalRequests}${p.impact.failedShare === null ? "" : ` (${pct(p.impact.failedShare)} of traffic)`}`,
    `- distinct users affected: ${p.impact.distinctUsers === null ? "not measured" : `${p.impact.distinctUsers} (by sticky key)`}`,
    "- distinct users: not measured",
    `- MTTD ${min(m.mttdMs)} · MTTA ${min(m.mttaMs)} · time to mitigate ${min(m.mttmMs)} · MTTR ${min(m.mttrMs)}`,
    "",
    "## Trigger",
    p.trigger,
    "",
    "## Detection",
    p.detection,
    "",
    "## Response",
    p.response,
    "",
    "## Recovery",
    p.recovery,
    "",
    "## Timeline (UTC)",
    ...p.timeline.map(
      (e) => `- ${iso(e.at).slice(11, 23)} [${e.kind}] ${e.type}${e.release === null ? "" : ` r${e.release}`}: ${e.message} (${e.actor})`,
    ),
    "",
    "## What went well",
    list(p.wentWell),
    "",
    "## What went badly",
    list(p.wentBadly),
    "",
    "## Action items",
    p.actionItems.length === 0
      ? "- (none yet)"
      : p.actionItems.map((a, i) => `${i + 1}. [${a.done ? "x" : " "}] ${a.text} — ${a.owner}, due ${a.due}`).join("\n"),
    "",
  ].join("\n");
}
