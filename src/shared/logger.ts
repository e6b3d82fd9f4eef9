import { pino } from "pino";

/**
 * Rampart's own log (not the apps'): JSON lines on stderr, level from RAMPART_LOG_LEVEL (default info).
 * What users must act on goes to the event log; this is for operators debugging Rampart itself.
 */
export const logger = pino(
  { name: "rampart", level: process.env.RAMPART_LOG_LEVEL ?? "info", base: { pid: process.pid } },
  pino.destination(2),
);
