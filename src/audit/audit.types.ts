import { z } from "zod";

export const chainProblemSchema = z.object({
  kind: z.enum(["changed", "removed", "reordered", "checkpoint"]),
  eventId: z.number().int().describe("the first event changed, removed or reordered"),
  event: z
    .object({ id: z.number().int(), type: z.string(), at: z.number().int() })
    .nullable()
    .describe("that event as stored now (for a removed range: the first event after it; null when none is left)"),
  message: z.string(),
  hint: z.string().describe("what to do next"),
});

export const verifyViewSchema = z.object({
  ok: z.boolean(),
  events: z.number().int().describe("events checked"),
  checkpoints: z.number().int(),
  lastCheckpoint: z
    .object({ number: z.number().int(), eventId: z.number().int(), at: z.number().int() })
    .nullable()
    .describe("the newest signed checkpoint (numbered from 1 in the checkpoint file)"),
  key: z.string().describe("fingerprint (SHA256:base64 of the DER public key) of the key the checkpoints were checked with"),
  problem: chainProblemSchema.nullable(),
  message: z.string().describe("one line: 'verified N events, last checkpoint #K at TIME', or the first problem"),
});
export type VerifyView = z.infer<typeof verifyViewSchema>;
export type ChainProblemView = z.infer<typeof chainProblemSchema>;
