import { z } from "zod";

/** An environment variable's name: what the app reads it as (also the file's name when injected as files). */
export const secretNameSchema = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
    "a secret's name is an environment variable name: letters, digits and _, not starting with a digit",
  );

/** 64 KiB: certificates and service-account JSON fit; a secret is not a file store. */
export const MAX_SECRET_BYTES = 64 * 1024;

export const setSecretBodySchema = z.strictObject({
  value: z
    .string()
    .min(1, "a secret's value may not be empty (use `rampart secrets unset` to remove it)")
    .refine((v) => Buffer.byteLength(v, "utf8") <= MAX_SECRET_BYTES, `a secret's value may be at most ${MAX_SECRET_BYTES} bytes`),
});
export type SetSecretBody = z.infer<typeof setSecretBodySchema>;

export const secretMetaSchema = z.object({
  env: z.string(),
  app: z.string(),
  name: z.string(),
  version: z.number().int(),
  setBy: z.string(),
  setAt: z.number().int().describe("epoch milliseconds"),
  required: z.boolean().describe("named in the manifest's apps.<app>.secrets"),
});
export type SecretMeta = z.infer<typeof secretMetaSchema>;

export const secretVersionSchema = z.object({
  version: z.number().int(),
  state: z.enum(["set", "unset"]),
  by: z.string(),
  at: z.number().int(),
});
export type SecretVersionView = z.infer<typeof secretVersionSchema>;

export const secretDiffSchema = z.object({
  a: z.string(),
  b: z.string(),
  entries: z.array(
    z.object({
      app: z.string(),
      name: z.string(),
      /** null: not set in that environment. */
      a: z.number().int().nullable(),
      b: z.number().int().nullable(),
    }),
  ),
});
export type SecretDiff = z.infer<typeof secretDiffSchema>;

/** What an instance is started with: the release's secret names and versions, and whether as files. */
export interface SecretRefs {
  env: string;
  app: string;
  versions: Record<string, number>;
  asFiles: boolean;
}
