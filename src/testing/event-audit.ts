import { existsSync, readFileSync } from "node:fs";
import type { EventAuditViolation } from "../db/event-audit.ts";

/**
 * Turns the event audit on for every `rampart up` this test process starts afterwards (they inherit the
 * environment): each transaction that writes state without an event is appended to `file`. Any e2e test can
 * call it before starting the platform and `assertNoViolations()` at the end of its scenario.
 */
export function auditEvents(file: string): { violations(): EventAuditViolation[]; assertNoViolations(): void; off(): void } {
  process.env.RAMPART_EVENT_AUDIT = file;
  const violations = (): EventAuditViolation[] =>
    existsSync(file)
      ? readFileSync(file, "utf8")
          .split("\n")
          .filter((line) => line.trim() !== "")
          .map((line) => JSON.parse(line) as EventAuditViolation)
      : [];
  return {
    violations,
    assertNoViolations() {
      const found = violations();
      if (found.length > 0)
        throw new Error(
          `${found.length} transaction(s) wrote state without an event (each with the stack that committed it, in ${file}):\n${found
            .slice(0, 5)
            .map((v) => `  ${v.writes.join(", ")}`)
            .join("\n")}`,
        );
    },
    off() {
      delete process.env.RAMPART_EVENT_AUDIT;
    },
  };
}
