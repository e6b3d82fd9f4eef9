import { z } from "zod";
import { RELEASE_STRATEGIES, resolvedAppSchema, type ResolvedApp, type ReleaseStrategy } from "../config/resolved-manifest.schema.ts";
import { instanceViewSchema } from "../runtime/instance.types.ts";

/**
 * pending: created, being built and started · deploying: traffic is moving to it · live: serves the app ·
 * superseded: replaced by a newer release · rolled_back: replaced by `rampart rollback` · failed: never went live.
 */
export const releaseStatuses = ["pending", "deploying", "live", "superseded", "rolled_back", "failed"] as const;
export type ReleaseStatus = (typeof releaseStatuses)[number];

export interface GitSnapshot {
  commit: string;
  commitTime: string;
  dirty: boolean;
}

/** Immutable once created, except for its status and the times it moved. */
export interface ReleaseRecord {
  env: string;
  app: string;
  number: number;
  artifactDigest: string;
  config: ResolvedApp;
  strategy: ReleaseStrategy;
  status: ReleaseStatus;
  reason: string | null;
  sourceDir: string;
  git: GitSnapshot | null;
  rollbackOf: number | null;
  createdBy: string;
  createdAt: number;
  liveAt: number | null;
  finishedAt: number | null;
}

export const releaseViewSchema = z.object({
  env: z.string(),
  app: z.string(),
  number: z.number().int(),
  status: z.enum(releaseStatuses),
  reason: z.string().nullable().describe("why it failed or was rolled back"),
  strategy: z.enum(RELEASE_STRATEGIES),
  artifact: z.string().describe("content digest of the source snapshot, sha256-…"),
  sourceDir: z.string(),
  git: z.object({ commit: z.string(), commitTime: z.string(), dirty: z.boolean() }).nullable(),
  rollbackOf: z.number().int().nullable().describe("the release whose artifact and config this one reuses"),
  createdBy: z.string(),
  createdAt: z.number().int(),
  liveAt: z.number().int().nullable(),
  finishedAt: z.number().int().nullable(),
  config: resolvedAppSchema,
  rollout: z
    .object({
      state: z.string(),
      step: z.number().int(),
      of: z.number().int(),
      message: z.string().nullable(),
      verdict: z.record(z.string(), z.unknown()).nullable().describe("canary: the latest analysis verdict and its evidence"),
    })
    .nullable(),
  instances: z.array(instanceViewSchema),
});
export type ReleaseView = z.infer<typeof releaseViewSchema>;

export const appParamsSchema = z.object({ env: z.string().min(1), app: z.string().min(1) });
export const releaseParamsSchema = appParamsSchema.extend({ number: z.coerce.number().int().min(1) });

export const deployBodySchema = z.strictObject({
  source: z
    .string()
    .min(1)
    .optional()
    .describe("directory to snapshot instead of the manifest's `source` (absolute, or relative to the manifest)"),
  strategy: z.enum(RELEASE_STRATEGIES).optional().describe("overrides release.strategy for this deploy"),
  upload: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe("an upload id from POST /api/v1/uploads: deploy that source tree (sent from another machine)"),
  git: z
    .strictObject({
      commit: z.string().regex(/^[0-9a-f]{40,64}$/),
      commitTime: z.iso.datetime(),
      branch: z.string().min(1).max(255).nullable(),
      dirty: z.boolean(),
    })
    .optional()
    .describe("the git facts of an uploaded source, from the machine it was packed on"),
});
export type DeployBody = z.infer<typeof deployBodySchema>;

export const rollbackBodySchema = z.strictObject({
  to: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("release number to return to; default: the last release that was live before the current one"),
});
export type RollbackBody = z.infer<typeof rollbackBodySchema>;

export const promoteBodySchema = z.strictObject({
  from: z.string().min(1).describe("environment whose live release is promoted, e.g. staging"),
  to: z.string().min(1).describe("environment it is deployed to, e.g. production"),
  force: z.boolean().default(false).describe("promote even when the source release is not live and healthy (recorded)"),
});
export type PromoteBody = z.infer<typeof promoteBodySchema>;
