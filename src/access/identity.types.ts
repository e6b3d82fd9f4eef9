import { z } from "zod";
import { roles } from "./permissions.ts";

/** Lower-case names that read well in events and CLI output; `local` and `anonymous` are actors of their own. */
export const userNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9._-]{0,62}$/, "a user name is 1-63 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter")
  .refine(
    (name) => name !== "local" && name !== "anonymous" && name !== "rampart",
    "local, anonymous and rampart are reserved actor names",
  );

export const tokenNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "a token name is 1-63 characters: lower-case letters, digits, '.', '_' or '-'");

export const roleSchema = z.enum(roles);
/** An environment name, or `*` for every one. */
export const grantEnvSchema = z.string().regex(/^(\*|[a-z0-9][a-z0-9_-]{0,62})$/, "an environment name, or * for every environment");
export const roleGrantSchema = z.strictObject({ role: roleSchema, env: grantEnvSchema });

export const addUserBodySchema = z.strictObject({
  name: userNameSchema,
  email: z.email().max(254).optional(),
  password: z.string().max(4096).optional().describe("at least 12 characters; omit for a user who logs in with OpenID Connect only"),
});
export type AddUserBody = z.infer<typeof addUserBodySchema>;

export const updateUserBodySchema = z.strictObject({
  email: z.email().max(254).nullable().optional(),
  password: z.string().max(4096).nullable().optional().describe("a new password (null removes it); the user's sessions end"),
});
export type UpdateUserBody = z.infer<typeof updateUserBodySchema>;

export const userViewSchema = z.object({
  name: z.string(),
  email: z.string().nullable(),
  source: z.enum(["local", "oidc"]),
  hasPassword: z.boolean(),
  createdAt: z.number().int(),
  createdBy: z.string(),
  grants: z.array(roleGrantSchema),
});
export type UserView = z.infer<typeof userViewSchema>;

export const grantBodySchema = z.strictObject({ user: userNameSchema, role: roleSchema, env: grantEnvSchema });
export type GrantBody = z.infer<typeof grantBodySchema>;

export const grantViewSchema = z.object({
  subject: z.string().describe("a user name, or svc:NAME for a service token"),
  kind: z.enum(["user", "service"]),
  role: roleSchema,
  env: z.string(),
  createdAt: z.number().int(),
  createdBy: z.string(),
});
export type GrantView = z.infer<typeof grantViewSchema>;

export const createTokenBodySchema = z.strictObject({
  name: tokenNameSchema,
  user: userNameSchema.optional().describe("a personal token for this user, acting with the user's roles"),
  grants: z.array(roleGrantSchema).max(50).optional().describe("a service token's roles (service tokens only)"),
  apps: z.array(z.string().min(1).max(100)).max(50).optional().describe("limit a service token to these apps"),
  expiresInMs: z
    .number()
    .int()
    .min(60_000)
    .max(5 * 365 * 86_400_000)
    .optional()
    .describe("lifetime; default 90 days"),
});
export type CreateTokenBody = z.infer<typeof createTokenBodySchema>;

export const tokenViewSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  kind: z.enum(["pat", "svc"]),
  actor: z.string().describe("who the token acts as: its owner, or svc:NAME"),
  hint: z.string().describe("the first characters of the secret, to tell tokens apart"),
  grants: z.array(roleGrantSchema).describe("a service token's roles; a personal token acts with its owner's"),
  apps: z.array(z.string()).nullable(),
  createdAt: z.number().int(),
  createdBy: z.string(),
  expiresAt: z.number().int().nullable(),
  revokedAt: z.number().int().nullable(),
  lastUsedAt: z.number().int().nullable(),
  lastUsedFrom: z.string().nullable(),
});
export type TokenView = z.infer<typeof tokenViewSchema>;

export const createdTokenSchema = z.object({
  token: z.string().describe("the secret: shown this once, never again"),
  view: tokenViewSchema,
});
export type CreatedToken = z.infer<typeof createdTokenSchema>;

export const ownTokenBodySchema = createTokenBodySchema.pick({ name: true, expiresInMs: true });

export const loginBodySchema = z.strictObject({ user: z.string().min(1).max(100), password: z.string().max(4096) });

export const loginResultSchema = z.object({ token: z.string(), user: z.string(), expiresAt: z.number().int() });
export type LoginResult = z.infer<typeof loginResultSchema>;

export const whoamiSchema = z.object({
  actor: z.string(),
  kind: z.enum(["user", "service", "root"]),
  via: z.enum(["local", "token", "session"]),
  grants: z.array(roleGrantSchema),
  timed: z.array(z.object({ role: roleSchema, env: z.string(), until: z.number().int(), requestId: z.number().int() })),
  apps: z.array(z.string()).nullable(),
  token: z.string().nullable().describe("the token's name when a token was used"),
  expiresAt: z.number().int().nullable().describe("when the token or session ends"),
});
export type WhoAmI = z.infer<typeof whoamiSchema>;
