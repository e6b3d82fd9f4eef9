import { z } from "zod";

/** Answers of the edge's control socket besides GET /stats (see edge-stats.types.ts), checked when read (edge-client.ts). */

/** PUT /table */
export const putTableResultSchema = z.object({
  /** The version now in force: the pushed one, or the current one when the pushed table was older. */
  version: z.number(),
  listening: z.array(z.object({ env: z.string(), bind: z.string(), port: z.number() })),
  /** Environments whose port could not be bound (e.g. EADDRINUSE); the rest of the table still applies. */
  errors: z.array(z.object({ env: z.string(), port: z.number(), message: z.string() })),
});
export type PutTableResult = z.infer<typeof putTableResultSchema>;

/** GET /inflight */
export const edgeInflightSchema = z.object({ inflight: z.record(z.string(), z.number()) });
export type EdgeInflight = z.infer<typeof edgeInflightSchema>;

/** GET /health */
export const edgeHealthSchema = z.object({
  /** The edge's primary process: the one the control plane starts, signals and watches. */
  pid: z.number(),
  tableVersion: z.number(),
  uptimeMs: z.number(),
  /** The worker processes that serve traffic; `served` is as of their last stats answer. */
  workers: z.array(z.object({ pid: z.number(), served: z.number(), restarts: z.number() })).optional(),
});
export type EdgeHealth = z.infer<typeof edgeHealthSchema>;
