import { z } from "zod";
import type { RoutingTable } from "./routing-table.types.ts";

/**
 * Validation of a routing table entering the edge (PUT /table, or the persisted file at start-up).
 * The edge must never crash or half-apply a malformed table, so everything the proxy relies on
 * (ports, prefixes, app references) is checked here once, not on the hot path.
 */
const port = z.number().int().min(1).max(65535);
const name = z.string().min(1).max(200);

const instanceSchema = z.object({ id: name, host: z.string().min(1).max(255), port });

const releaseSchema = z.object({
  release: z.number().int().nonnegative(),
  weight: z.number().finite().nonnegative(),
  instances: z.array(instanceSchema),
});

// Fields added after the first version default, so a table persisted by an older edge still loads.
const appSchema = z.object({
  name,
  upstreamTimeoutMs: z.number().int().min(1).max(3_600_000),
  releases: z.array(releaseSchema),
  drainMs: z.number().int().min(0).max(3_600_000).default(10_000),
  maxBodyBytes: z
    .number()
    .int()
    .min(0)
    .default(10 * 1024 * 1024),
  rateLimit: z
    .object({ perSecond: z.number().positive(), burst: z.number().int().min(1) })
    .nullable()
    .default(null),
  sticky: z
    .object({ kind: z.enum(["cookie", "header"]), name: z.string().min(1).max(200) })
    .nullable()
    .default(null),
  split: z.boolean().default(false),
  underscoresInHeaders: z.boolean().default(false),
  auth: z
    .object({
      public: z
        .array(
          z
            .string()
            .regex(/^\/[^?#]*$/, "must start with / and contain neither ? nor #")
            .max(2000),
        )
        .max(100),
      jwt: z
        .object({
          jwks: z.string().min(1).max(2000),
          issuer: z.string().min(1).max(2000),
          audience: z.string().min(1).max(2000),
          requiredClaims: z.array(z.string().min(1).max(200)).max(50),
        })
        .nullable(),
      apiKeys: z
        .array(z.object({ id: z.string().min(1).max(200), sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 in hex") }))
        .nullable(),
    })
    .nullable()
    .default(null),
  rum: z.boolean().default(false),
});

const limitsSchema = z.object({
  headerTimeoutMs: z.number().int().min(1).max(3_600_000),
  idleTimeoutMs: z.number().int().min(1).max(3_600_000),
  maxHeaderBytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024),
});

const routeSchema = z.object({
  app: name,
  hosts: z.array(z.string().min(1).max(255)).min(1).nullable(),
  prefix: z
    .string()
    .max(2000)
    .regex(/^\/[^?#]*$/, "must start with / and contain neither ? nor #"),
});

const environmentSchema = z
  .object({
    name,
    bind: z.string().min(1).max(255),
    port,
    routes: z.array(routeSchema),
    apps: z.array(appSchema),
    tls: z
      .object({ certFile: z.string().min(1), keyFile: z.string().min(1) })
      .nullable()
      .default(null),
    pinSources: z.array(z.string().min(1).max(64)).default(["127.0.0.1/32", "::1/128"]),
    tracing: z
      .object({ sampleRate: z.number().min(0).max(1), slowMs: z.number().int().min(0).max(3_600_000) })
      .default({ sampleRate: 0.01, slowMs: 1_000 }),
    accessLog: z
      .object({ dir: z.string().min(1), maxBytes: z.number().int().min(4096), keep: z.number().int().min(0).max(1000) })
      .nullable()
      .default(null),
    limits: limitsSchema.default({ headerTimeoutMs: 10_000, idleTimeoutMs: 60_000, maxHeaderBytes: 16 * 1024 }),
    probeToken: z.string().min(16).max(200).nullable().default(null),
    http2: z.object({ tls: z.boolean(), cleartext: z.boolean() }).default({ tls: true, cleartext: false }),
  })
  .superRefine((env, ctx) => {
    const apps = new Set<string>();
    env.apps.forEach((app, i) => {
      if (apps.has(app.name)) ctx.addIssue({ code: "custom", path: ["apps", i, "name"], message: `duplicate app "${app.name}"` });
      apps.add(app.name);
    });
    env.routes.forEach((route, i) => {
      if (!apps.has(route.app)) ctx.addIssue({ code: "custom", path: ["routes", i, "app"], message: `unknown app "${route.app}"` });
    });
  });

const routingTableSchema = z
  .object({ version: z.number().int().nonnegative(), environments: z.array(environmentSchema) })
  .superRefine((table, ctx) => {
    const names = new Set<string>();
    const addresses = new Set<string>();
    table.environments.forEach((env, i) => {
      if (names.has(env.name))
        ctx.addIssue({ code: "custom", path: ["environments", i, "name"], message: `duplicate environment "${env.name}"` });
      names.add(env.name);
      const address = `${env.bind}:${env.port}`;
      if (addresses.has(address))
        ctx.addIssue({ code: "custom", path: ["environments", i, "port"], message: `${address} is used by another environment` });
      addresses.add(address);
    });
  });

export type ParseResult = { ok: true; table: RoutingTable } | { ok: false; message: string };

export function parseRoutingTable(input: unknown): ParseResult {
  const result = routingTableSchema.safeParse(input);
  if (result.success) {
    // Assigning to the declared interface keeps schema and type from drifting apart.
    const table: RoutingTable = result.data;
    return { ok: true, table };
  }
  const issue = result.error.issues[0];
  if (issue === undefined) return { ok: false, message: "invalid routing table" };
  return { ok: false, message: `${formatPath(issue.path) || "body"}: ${issue.message}` };
}

/** environments[0].routes[1].prefix: the field named the way a reader finds it in the JSON. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}
