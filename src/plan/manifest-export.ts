import { parseDocument } from "yaml";
import type { ResolvedApp } from "../config/resolved-manifest.schema.ts";

/** Keys of a live release's config that rampart.yaml can say per environment, and how they are written there. */
const OVERRIDABLE: { key: keyof ResolvedApp; file: string; write(value: unknown): unknown }[] = [
  { key: "instances", file: "instances", write: (v) => v },
  { key: "run", file: "run", write: (v) => v },
  { key: "build", file: "build", write: (v) => v },
  { key: "routes", file: "routes", write: (v) => v },
  { key: "hosts", file: "hosts", write: (v) => v },
  { key: "drainMs", file: "drain", write: (v) => `${String(v)}ms` },
  { key: "timeoutMs", file: "timeout", write: (v) => `${String(v)}ms` },
];

export interface ExportInput {
  /** The text of the manifest last applied (comments kept). */
  appliedText: string;
  /** Per environment and app with a live release: what the applied manifest resolves to, and what runs. */
  pairs: { env: string; app: string; declared: ResolvedApp; live: ResolvedApp }[];
}

/**
 * The running state as rampart.yaml: the manifest last applied, plus, where a live release runs something else
 * than that manifest says (it was edited and applied, not deployed), per-environment overrides saying what runs.
 */
export function exportManifest(input: ExportInput, header: string[]): string {
  const doc = parseDocument(input.appliedText);
  for (const { env, app, declared, live } of input.pairs) {
    for (const o of OVERRIDABLE) {
      const value = live[o.key];
      if (value === null || value === undefined || JSON.stringify(value) === JSON.stringify(declared[o.key])) continue;
      doc.setIn(["apps", app, "environments", env, o.file], o.write(value));
    }
  }
  doc.commentBefore = [...header, ...(doc.commentBefore ? [doc.commentBefore] : [])].map((l) => ` ${l}`.trimEnd()).join("\n");
  return doc.toString({ lineWidth: 0 });
}
