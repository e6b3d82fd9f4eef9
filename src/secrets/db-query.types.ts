import { z } from "zod";

export const dbQueryBodySchema = z.strictObject({
  sql: z.string().min(1, "give the query text").max(100_000),
  limit: z.number().int().min(1).max(10_000).default(1_000).describe("rows returned at most (one more is read to tell if there were more)"),
  timeout_ms: z.number().int().min(1).max(300_000).default(10_000).describe("the statement timeout"),
});
export type DbQueryBody = z.infer<typeof dbQueryBodySchema>;

export const dbQueryResultSchema = z.object({
  columns: z.array(z.string()),
  rows: z.array(z.array(z.unknown())),
  truncated: z.boolean().describe("more rows than `limit` matched"),
  durationMs: z.number(),
});
export type DbQueryResult = z.infer<typeof dbQueryResultSchema>;
