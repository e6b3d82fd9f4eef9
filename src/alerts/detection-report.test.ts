import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type DetectionResult, writeDetectionTable } from "./detection-report.ts";

const result = (rule: string, toDeliveredMs: number): DetectionResult => ({
  fault: `fault of ${rule}`,
  rule,
  severity: "critical",
  from: "its first traffic",
  warmUpMs: 30_000,
  toFiringMs: toDeliveredMs - 10_000,
  toDeliveredMs,
  groupWaitMs: 10_000,
});

describe("the detection table in docs/reliability.md", () => {
  it("replaces what is between the markers, keeps the rest, marks a miss of the 60 s goal as slow", () => {
    const file = join(mkdtempSync(join(tmpdir(), "detection-report-")), "reliability.md");
    const begin = "<!-- detection:begin (written by npm run drills:detection) -->";
    writeFileSync(file, `# before\n\n${begin}\nold table\n<!-- detection:end -->\n\nafter\n`);
    writeDetectionTable([result("high_error_ratio", 42_184), result("crash_loop", 61_000)], new Date("2026-12-05T16:50:00Z"), file);
    const text = readFileSync(file, "utf8");
    assert.ok(text.startsWith(`# before\n\n${begin}\nLatest \`npm run drills:detection\`, 2026-12-05 16:50 UTC`));
    assert.ok(text.endsWith("<!-- detection:end -->\n\nafter\n"));
    assert.doesNotMatch(text, /old table/);
    const rows = text.split("\n").filter((l) => l.startsWith("|"));
    assert.equal(rows.length, 4);
    assert.equal(new Set(rows.map((r) => r.length)).size, 1, "columns aligned");
    assert.match(rows[2] ?? "", /`high_error_ratio` .* 32\.2 s .* 10\.0 s .* 42\.2 s .* yes/);
    assert.match(rows[3] ?? "", /61\.0 s +\| \*\*slow\*\*/);
  });

  it("refuses a file without the markers, saying where they go", () => {
    const file = join(mkdtempSync(join(tmpdir(), "detection-report-")), "reliability.md");
    writeFileSync(file, "no markers\n");
    assert.throws(() => writeDetectionTable([result("x", 1)], new Date(), file), /has no <!-- detection:begin.*add them/);
  });
});
