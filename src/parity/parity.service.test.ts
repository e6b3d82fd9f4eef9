import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseManifest } from "../config/manifest.loader.ts";
import { ManifestError } from "../config/manifest-error.ts";
import type { ResolvedApp } from "../config/resolved-manifest.schema.ts";
import { FakeClock } from "../shared/fake-clock.ts";
import type { DatabaseInspector } from "./database-stats.ts";
import type { ParitySources } from "./parity-sources.ts";
import { ParityService } from "./parity.service.ts";
import type { TableStats } from "./parity.types.ts";
import type { ProcessRuntime } from "./runtime-probe.ts";

const MANIFEST = (extra = "") => `name: shop
environments:
  staging: { port: 8081 }
  production: { port: 8080, protected: true }
apps:
  web:
    source: ./web
    run: node server.js
    instances: 2
    env: { LOG_LEVEL: info, REGION: eu }
    secrets: [API_TOKEN]
    databases: { main: { kind: postgres, url_secret: DATABASE_URL } }
    environments:
      staging: { instances: 1, env: { LOG_LEVEL: debug } }
${extra}`;

interface World {
  manifest: string;
  artifacts?: Record<string, string>;
  secrets?: Record<string, { name: string; version: number }[]>;
  tables?: Record<string, TableStats[]>;
  runtimes?: Record<number, ProcessRuntime>;
  flags?: { key: string; environments: { env: string; enabled: boolean; serving: string }[] }[];
  notDeployed?: string[];
  /** The database values each env's URL secret holds (the fake inspector is keyed by URL). */
  leaked?: string[];
}

/** Fakes behind ParitySources: releases from the manifest's per-env config, instances with pids 100+ per env. */
function serviceFor(world: World): ParityService {
  const manifest = parseManifest(world.manifest, "/project/rampart.yaml");
  const pidBase: Record<string, number> = { staging: 100, production: 200 };
  const databases: DatabaseInspector = {
    inspect: async (_kind, url) => {
      const tables = world.tables?.[url];
      if (!tables) throw new Error(`connect ECONNREFUSED (${url})`);
      return tables;
    },
  };
  const sources: ParitySources = {
    manifest: () => manifest,
    liveRelease: async (env, app) => {
      if (world.notDeployed?.includes(env)) return null;
      const config = manifest.apps[app]?.perEnv[env] as ResolvedApp;
      return { number: env === "staging" ? 7 : 5, artifactDigest: world.artifacts?.[env] ?? "sha256-aaa", config };
    },
    instances: (env, app) => {
      const count = manifest.apps[app]?.perEnv[env]?.instances ?? 0;
      return Array.from({ length: count }, (_, i) => ({
        release: env === "staging" ? 7 : 5,
        status: "healthy" as const,
        pid: (pidBase[env] ?? 0) + i,
      }));
    },
    secrets: async (env) => (world.secrets?.[env] ?? []).map((s) => ({ ...s, setAt: 1 })),
    secretValue: async (env, _app, name) => `postgres://u:pw-${env}@db/${name}`,
    flags: async () => world.flags ?? [],
    databases,
    runtime: {
      ofPid: async (pid) => world.runtimes?.[pid] ?? { binary: "/usr/bin/node", name: "node", version: "v24.1.0", replaced: false },
    },
  };
  return new ParityService(sources, new FakeClock(1_000));
}

const users = (rows: number, indexes: string[]): TableStats => ({
  name: "users",
  rows,
  bytes: rows * 100,
  indexes: indexes.map((name) => ({ name, definition: `CREATE INDEX ${name} ON public.users USING btree (email)` })),
});
const URL_OF = (env: string) => `postgres://u:pw-${env}@db/DATABASE_URL`;
const SAME_SECRETS = { staging: [{ name: "API_TOKEN", version: 1 }], production: [{ name: "API_TOKEN", version: 1 }] };
const SAME_DB = { [URL_OF("staging")]: [users(1000, ["users_pkey"])], [URL_OF("production")]: [users(1000, ["users_pkey"])] };

describe("parity: the diff between two environments", () => {
  it("finds an env value, an instance count, a missing index, data volume and a secret version; values of secrets never appear", async () => {
    const service = serviceFor({
      manifest: MANIFEST(),
      secrets: { staging: [{ name: "API_TOKEN", version: 1 }], production: [{ name: "API_TOKEN", version: 3 }] },
      tables: {
        [URL_OF("staging")]: [users(50, ["users_pkey"])],
        [URL_OF("production")]: [users(50_000, ["users_pkey", "users_email_idx"])],
      },
    });
    const report = await service.compare({ from: "staging", to: "production" });
    const byKey = new Map(report.drifts.map((d) => [d.key, d]));
    assert.deepEqual(
      [byKey.get("env.LOG_LEVEL")?.severity, byKey.get("env.LOG_LEVEL")?.from, byKey.get("env.LOG_LEVEL")?.to],
      ["warning", "debug", "info"],
    );
    assert.deepEqual([byKey.get("instances")?.from, byKey.get("instances")?.to, byKey.get("instances")?.severity], [1, 2, "warning"]);
    const index = byKey.get("databases.main.indexes.users_email_idx");
    assert.equal(index?.severity, "critical");
    assert.match(index?.message ?? "", /missing in staging/);
    assert.equal(byKey.get("databases.main.rows.users")?.severity, "warning", "1000x fewer rows in staging");
    assert.deepEqual([byKey.get("secrets.API_TOKEN")?.from, byKey.get("secrets.API_TOKEN")?.to], [{ version: 1 }, { version: 3 }]);
    assert.equal(report.summary.unallowedCritical, 1);
    assert.equal(report.drifts[0]?.severity, "critical", "critical first");
    assert.equal(JSON.stringify(report).includes("pw-"), false, "the database URLs (secret values) are not in the report");
  });

  it("allowed drifts are listed, marked, and not counted", async () => {
    const service = serviceFor({
      manifest: MANIFEST("    parity: { allow: [instances, env.LOG_LEVEL] }\n"),
      secrets: SAME_SECRETS,
      tables: SAME_DB,
    });
    const report = await service.compare({ from: "staging", to: "production" });
    assert.deepEqual(
      report.drifts.map((d) => [d.key, d.allowed]),
      [
        ["env.LOG_LEVEL", true],
        ["instances", true],
      ],
    );
    assert.deepEqual(report.summary, { critical: 0, warning: 0, info: 0, allowed: 2, unallowedCritical: 0 });
    assert.deepEqual(report.apps[0]?.allow, ["instances", "env.LOG_LEVEL"]);
    assert.deepEqual(await service.drift("web", "staging", "production"), {
      unallowed: 0,
      summary: "web: no unallowed critical drift between staging and production (0 warning(s), 2 allowed)",
    });
  });

  it("a secret or env key set in one environment only, a route, a run command and a runtime major are critical", async () => {
    const manifest =
      `${MANIFEST()}      production: { routes: [/api], run: node --max-old-space-size=512 server.js, env: { ONLY_PROD: "1" } }\n`.replace(
        "      staging: { instances: 1, env: { LOG_LEVEL: debug } }\n",
        "",
      );
    const service = serviceFor({
      manifest,
      secrets: { staging: [], production: [{ name: "API_TOKEN", version: 1 }] },
      tables: SAME_DB,
      runtimes: {
        100: { binary: "/usr/bin/node", name: "node", version: "v20.19.2", replaced: false },
        101: { binary: "/usr/bin/node", name: "node", version: "v20.19.2", replaced: false },
      },
    });
    const report = await service.compare({ from: "staging", to: "production", app: "web" });
    const critical = report.drifts.filter((d) => d.severity === "critical").map((d) => d.key);
    assert.deepEqual(critical.sort(), ["env.ONLY_PROD", "routes", "run", "runtime", "secrets.API_TOKEN"]);
    assert.match(
      report.drifts.find((d) => d.key === "secrets.API_TOKEN")?.message ?? "",
      /rampart secrets set web API_TOKEN --env staging/,
    );
    assert.match(report.drifts.find((d) => d.key === "runtime")?.message ?? "", /node v20\.19\.2 in staging, node v24\.1\.0 in production/);
    const readiness = await service.drift("web", "staging", "production");
    assert.equal(readiness?.unallowed, 5);
    assert.match(readiness?.summary ?? "", /5 critical drift\(s\).*rampart parity staging production --app web/);
  });

  it("a runtime patch difference is a warning; an artifact not yet promoted is a warning naming the promote", async () => {
    const service = serviceFor({
      manifest: MANIFEST("    parity: { allow: [instances, env] }\n"),
      artifacts: { staging: "sha256-new", production: "sha256-old" },
      secrets: SAME_SECRETS,
      tables: SAME_DB,
      runtimes: { 100: { binary: "/usr/bin/node", name: "node", version: "v24.2.0", replaced: false } },
    });
    const report = await service.compare({ from: "staging", to: "production" });
    const unallowed = report.drifts.filter((d) => !d.allowed);
    assert.deepEqual(
      unallowed.map((d) => [d.key, d.severity]),
      [
        ["artifact", "warning"],
        ["runtime", "warning"],
      ],
    );
    assert.match(unallowed[0]?.message ?? "", /rampart promote web --from staging --to production/);
  });

  it("an environment with nothing live is critical; an unreachable database is reported without its URL", async () => {
    const service = serviceFor({ manifest: MANIFEST(), notDeployed: ["production"], secrets: SAME_SECRETS, tables: {} });
    const report = await service.compare({ from: "staging", to: "production" });
    assert.deepEqual(
      report.drifts.map((d) => [d.key, d.severity]),
      [
        ["deployed", "critical"],
        ["databases.main.unreadable", "warning"],
      ],
    );
    assert.match(report.drifts[0]?.message ?? "", /rampart deploy web --env production/);
    assert.equal(report.apps[0]?.to.databases[0]?.error, "connect ECONNREFUSED (***)");
  });

  it("flags differing by state are warnings, by serving info; allowed at the top level", async () => {
    const flags = [
      {
        key: "checkout",
        environments: [
          { env: "staging", enabled: true, serving: "on" },
          { env: "production", enabled: false, serving: "on" },
        ],
      },
      {
        key: "search",
        environments: [
          { env: "staging", enabled: true, serving: "on" },
          { env: "production", enabled: true, serving: "25% on" },
        ],
      },
    ];
    const plain = await serviceFor({ manifest: MANIFEST(), secrets: SAME_SECRETS, tables: SAME_DB, flags }).compare({
      from: "staging",
      to: "production",
    });
    const flagDrifts = plain.drifts.filter((d) => d.category === "flags");
    assert.deepEqual(
      flagDrifts.map((d) => [d.key, d.severity, d.app]),
      [
        ["flags.checkout", "warning", null],
        ["flags.search", "info", null],
      ],
    );
    const allowed = await serviceFor({
      manifest: MANIFEST("parity: { allow: [flags.search] }\n"),
      secrets: SAME_SECRETS,
      tables: SAME_DB,
      flags,
    }).compare({
      from: "staging",
      to: "production",
    });
    assert.deepEqual(
      allowed.drifts.filter((d) => d.category === "flags").map((d) => d.allowed),
      [false, true],
    );
  });

  it("refuses an unknown environment or app, and the same environment twice, naming what exists", async () => {
    const service = serviceFor({ manifest: MANIFEST() });
    await assert.rejects(service.compare({ from: "staging", to: "prod" }), /environment "prod" is not in/);
    await assert.rejects(service.compare({ from: "staging", to: "staging" }), /both are staging/);
    await assert.rejects(service.compare({ from: "staging", to: "production", app: "api" }), { code: "unknown_app" });
    assert.equal(await service.drift("web", "staging", "qa"), null);
    assert.equal(await service.drift("api", "staging", "production"), null);
  });

  it("rampart.yaml refuses an allow entry that names no category, suggesting the right one", () => {
    assert.throws(
      () => parseManifest(MANIFEST("    parity: { allow: [instance] }\n"), "/project/rampart.yaml"),
      (error: unknown) =>
        error instanceof ManifestError && /"instance" is not a parity category \(did you mean instances\?\)/.test(error.message),
    );
  });
});
