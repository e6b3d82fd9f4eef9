import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { matrixHeadings, permissionMatrixOf, tableUnder } from "../access/access-doc.ts";
import { renderAccessMatrixNow } from "../access/access-doc.render.ts";
import { FakeAuthenticator } from "../access/fake-authenticator.ts";
import { type Principal, type PrincipalKind, type Role, roles } from "../access/permissions.ts";
import { apiCatalogue } from "../daemon/api-catalogue.ts";
import { buildApiServer } from "./api-server.ts";

const accessDoc = readFileSync(new URL("../../docs/access.md", import.meta.url), "utf8");

interface Operation {
  method: string;
  path: string;
  permission: string | undefined;
  envFrom: string | undefined;
  /** Held in any environment counts (asking for just-in-time access). */
  anyEnvironment: boolean;
  /** Held in one environment counts; the answer keeps only the environments where it is held. */
  filtered: boolean;
  actions: string[];
}

/** The real route list, every handler a no-op: only the access check runs. */
function noOpServer(authenticator: FakeAuthenticator): FastifyInstance {
  const { routes, streams } = apiCatalogue();
  return buildApiServer({
    routes: routes.map((r) => ({ ...r, handler: async () => ({}) })),
    streams: streams.map((s) => ({ ...s, check: undefined, handler: async () => {} })),
    authenticator,
    protection: { isProtected: (env) => env === "production" },
    clock: { now: () => 1_800_000_000_000 },
    version: "test",
    dataDir: "/tmp",
  });
}

function operationsOf(doc: { paths: Record<string, Record<string, Record<string, unknown>>> }): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const params = (op.parameters ?? []) as { name: string; schema?: { enum?: string[] } }[];
      return {
        method: method.toUpperCase(),
        path,
        permission: typeof op["x-rampart-permission"] === "string" ? op["x-rampart-permission"] : undefined,
        envFrom: typeof op["x-rampart-permission-env"] === "string" ? op["x-rampart-permission-env"] : undefined,
        anyEnvironment: op["x-rampart-permission-any-environment"] === true,
        filtered: op["x-rampart-permission-filtered"] === true,
        actions: params.find((p) => p.name === "action")?.schema?.enum ?? ["pause"],
      };
    }),
  );
}

/** The request for one operation in one environment: the environment wherever the operation takes it. */
function requestFor(op: Operation, env: string) {
  const url = op.path
    .replace("{env}", env)
    .replace("{app}", "shop")
    .replace("{action}", op.actions[0] ?? "pause")
    .replace(/\{[A-Za-z]+\}/g, "1");
  const body: Record<string, string> = { env, to: env, from: "staging" };
  return {
    method: op.method as "GET" | "POST" | "PUT" | "DELETE",
    url: op.envFrom === "query.env" ? `${url}?env=${env}` : url,
    ...(op.method === "GET" ? {} : { payload: body }),
  };
}

/** docs/access.md's answer: its operations table names the permission, its role tables whether a role holds it. */
function documented() {
  const rows = (heading: string) => {
    const [header, ...body] = tableUnder(accessDoc, heading);
    assert.ok(header && body.length > 0, `docs/access.md has no table under ${heading}: run npm run docs:access`);
    return { header, body };
  };
  const unprotected = rows(matrixHeadings.unprotected);
  const protectedEnv = rows(matrixHeadings.protected);
  const operations = rows(matrixHeadings.operations);
  const strip = (cell: string) =>
    cell
      .replace(/`/g, "")
      .replace(/ \(every environment\)$/, "")
      .replace(/ \(filtered\)$/, "");
  const permissionOf = new Map(operations.body.map((r) => [`${r[0]} ${strip(r[1] ?? "")}`, strip(r[2] ?? "")]));
  const cell = (table: { header: string[]; body: string[][] }, permission: string, role: Role) => {
    const row = table.body.find((r) => strip(r[0] ?? "") === permission);
    assert.ok(row, `docs/access.md lists no permission ${permission}`);
    return row[table.header.indexOf(role)] ?? "";
  };
  return {
    permissionOf: (op: Operation) => permissionOf.get(`${op.method} ${op.path}`),
    isPlatform: (permission: string) => unprotected.body.some((r) => r[0] === `\`${permission}\` (every environment)`),
    allowed(permission: string, role: Role, kind: PrincipalKind, isProtected: boolean): boolean {
      if (!isProtected) return cell(unprotected, permission, role) === "✓";
      const [people, tokens] = cell(protectedEnv, permission, role).split(" / ");
      return (kind === "user" ? people : tokens) === "✓";
    },
  };
}

describe("the permission matrix", () => {
  const fake = new FakeAuthenticator([["root", { kind: "root", name: "local", grants: [], timed: [], apps: null }]]);
  const app = noOpServer(fake);
  let operations: Operation[] = [];
  before(async () => {
    const answer = await app.inject({ method: "GET", url: "/api/v1/openapi.json", headers: { authorization: "Bearer root" } });
    assert.equal(answer.statusCode, 200);
    operations = operationsOf(answer.json());
  });
  after(() => app.close());

  it("docs/access.md's permission matrix is what npm run docs:access writes now", () => {
    assert.equal(permissionMatrixOf(accessDoc)?.trimEnd(), renderAccessMatrixNow().trimEnd(), "run npm run docs:access");
  });

  it("every route and stream that takes our callers declares its permission", () => {
    const { routes, streams } = apiCatalogue();
    const missing = [...routes, ...streams].filter((r) => r.auth !== false && typeof r.auth !== "function" && !r.permission);
    assert.deepEqual(
      missing.map((r) => r.path),
      [],
      "give these routes a `permission:` (src/access/permissions.ts), then run npm run docs:access",
    );
    assert.ok(operations.length >= 30, `the OpenAPI document lists only ${operations.length} operations`);
    for (const op of operations) assert.ok(op.permission, `${op.method} ${op.path} has no x-rampart-permission`);
  });

  it("every operation × role × (unprotected, protected) × (person, service token) answers as docs/access.md says", async () => {
    const doc = documented();
    const mismatches: string[] = [];
    let checked = 0;
    for (const op of operations) {
      const permission = doc.permissionOf(op);
      assert.equal(permission, op.permission, `${op.method} ${op.path}: docs/access.md and the OpenAPI document disagree`);
      if (permission === "own-token") continue;
      const platform = permission !== undefined && doc.isPlatform(permission);
      // Without an environment (or for a platform permission) the role is held in every environment, uncapped.
      const cases = op.envFrom && !platform ? ["staging", "production"] : ["production"];
      for (const env of cases) {
        const isProtected = env === "production" && op.envFrom !== undefined && !platform;
        for (const role of roles) {
          for (const kind of ["user", "service"] as const) {
            const name = `${role}-${kind}-${env}`;
            const principal: Principal = {
              kind,
              name,
              grants: [{ role, env: op.envFrom && !platform ? env : "*" }],
              timed: [],
              apps: null,
            };
            fake.set(name, principal);
            const answer = await app.inject({ ...requestFor(op, env), headers: { authorization: `Bearer ${name}` } });
            const allowed = answer.statusCode !== 403 && answer.statusCode !== 401;
            const expected = permission === "public" || (permission !== undefined && doc.allowed(permission, role, kind, isProtected));
            if (allowed !== expected)
              mismatches.push(
                `${op.method} ${op.path} as ${kind} ${role} in ${env}: ${answer.statusCode}, expected ${expected ? "allowed" : "403"}`,
              );
            if (!expected) assert.equal(answer.statusCode, 403, `${op.method} ${op.path} as ${name}: ${answer.body}`);
            checked++;
          }
        }
      }
    }
    assert.deepEqual(mismatches, []);
    assert.ok(checked > 500, `only ${checked} checks`);
  });

  it("a role in another environment grants nothing here", async () => {
    fake.set("staging-admin", { kind: "user", name: "sam", grants: [{ role: "admin", env: "staging" }], timed: [], apps: null });
    for (const op of operations.filter((o) => o.envFrom !== undefined && !o.anyEnvironment && o.permission !== "own-token")) {
      const answer = await app.inject({ ...requestFor(op, "qa"), headers: { authorization: "Bearer staging-admin" } });
      assert.equal(answer.statusCode, 403, `${op.method} ${op.path} in qa with admin in staging only`);
    }
  });

  it("a filtered operation lets in a role held in one environment, and refuses a caller with none", async () => {
    const filtered = operations.filter((o) => o.filtered);
    assert.deepEqual(filtered.map((o) => `${o.method} ${o.path}`).sort(), [
      "GET /api/v1/events",
      "GET /api/v1/events/stream",
      "GET /api/v1/overview",
      "GET /api/v1/status",
    ]);
    fake.set("staging-dev", { kind: "user", name: "dev", grants: [{ role: "developer", env: "staging" }], timed: [], apps: null });
    fake.set("nobody", { kind: "user", name: "nobody", grants: [], timed: [], apps: null });
    for (const op of filtered) {
      const allowed = await app.inject({ method: "GET", url: op.path, headers: { authorization: "Bearer staging-dev" } });
      assert.equal(allowed.statusCode, 200, `${op.path} for a staging-only developer: ${allowed.body}`);
      const refused = await app.inject({ method: "GET", url: op.path, headers: { authorization: "Bearer nobody" } });
      assert.equal(refused.statusCode, 403, `${op.path} for a user without roles`);
      assert.match(refused.json().error.message, /nobody lacks permission read in any environment/);
    }
  });
});
