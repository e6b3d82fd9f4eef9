import { z } from "zod";
import { instanceViewSchema } from "../runtime/instance.types.ts";

export const appStatusSchema = z.object({
  name: z.string(),
  live: z.number().int().nullable().describe("number of the live release, null before the first deploy"),
  deploying: z.number().int().nullable().describe("number of the release rolling out now"),
  instances: z.array(instanceViewSchema),
});

export const environmentStatusSchema = z.object({
  name: z.string(),
  url: z.string().describe("where the edge serves this environment"),
  port: z.number().int(),
  bind: z.string(),
  protected: z.boolean(),
  listening: z.boolean().describe("false when the edge could not bind the port"),
  error: z.string().nullable(),
  apps: z.array(appStatusSchema),
});

export const leftoverStatusSchema = z.object({
  env: z.string(),
  app: z.string(),
  removed: z.enum(["environment", "app"]).describe("what was removed from rampart.yaml"),
  instances: z.array(instanceViewSchema),
});

export const platformStatusSchema = z.object({
  project: z.string(),
  manifest: z.string(),
  dataDir: z.string(),
  version: z.string(),
  controlPlane: z.object({ pid: z.number().int(), startedAt: z.number().int() }),
  edge: z.object({ pid: z.number().int().nullable() }),
  environments: z.array(environmentStatusSchema),
  leftovers: z
    .array(leftoverStatusSchema)
    .describe("instances still running for environments or apps removed from rampart.yaml (rampart up --yes stops them)"),
});
export type PlatformStatus = z.infer<typeof platformStatusSchema>;
export type EnvironmentStatus = z.infer<typeof environmentStatusSchema>;
