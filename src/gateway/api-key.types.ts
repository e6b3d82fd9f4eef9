import { z } from "zod";

/** An API key as listed: never the key, never its hash. */
export const apiKeySchema = z.object({
  id: z.string(),
  env: z.string(),
  app: z.string(),
  /** Unique among the app's active keys in the environment; the edge passes `apikey:<name>` to the app as the subject. */
  name: z.string(),
  createdBy: z.string(),
  createdAt: z.number().int(),
  revokedAt: z.number().int().nullable(),
  revokedBy: z.string().nullable(),
});
export type ApiKey = z.infer<typeof apiKeySchema>;

/** The one answer that carries the key: shown once, stored nowhere. */
export const createdApiKeySchema = z.object({ apiKey: apiKeySchema, key: z.string() });
export type CreatedApiKey = z.infer<typeof createdApiKeySchema>;

export const API_KEY_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
