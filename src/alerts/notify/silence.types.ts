import { z } from "zod";

export const silenceSchema = z.object({
  id: z.string(),
  matchers: z.array(z.string()).describe('label matchers, e.g. ["app=api", "env=~prod.*"]'),
  author: z.string(),
  reason: z.string(),
  startsAt: z.number().int().describe("epoch ms"),
  endsAt: z.number().int().describe("epoch ms: the silence ends by itself then"),
  expiredAt: z.number().int().nullable().describe("epoch ms when someone expired it early"),
  expiredBy: z.string().nullable(),
});
export type Silence = z.infer<typeof silenceSchema>;

/** Active at `now`: started, not yet ended, not expired by hand. */
export function isActive(s: Silence, now: number): boolean {
  return s.startsAt <= now && now < s.endsAt && (s.expiredAt === null || now < s.expiredAt);
}
