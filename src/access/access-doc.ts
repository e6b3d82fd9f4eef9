import { table } from "../shared/errors-doc.ts";
import {
  decide,
  type Permission,
  permissionMeaning,
  permissions,
  platformPermissions,
  protectedStandingCap,
  type Role,
  roles,
} from "./permissions.ts";

/** One operation of the OpenAPI document and what it needs (`public`, `own-token`, or a permission). */
export interface OperationAccess {
  method: string;
  path: string;
  permission: string;
  /** Answers with only the environments where the caller holds the permission (needed in at least one). */
  filtered?: boolean;
}

export const MATRIX_HEADING = "## Permission matrix";
const UNPROTECTED = "### Unprotected environments";
const PROTECTED = "### Protected environments";
const OPERATIONS = "### Operations";

/** The operations and their `x-rampart-permission`, in the document's order. */
export function operationsOf(openApi: Record<string, unknown>): OperationAccess[] {
  const paths = (openApi.paths ?? {}) as Record<
    string,
    Record<string, { "x-rampart-permission"?: unknown; "x-rampart-permission-filtered"?: unknown }>
  >;
  return Object.entries(paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      permission: typeof op["x-rampart-permission"] === "string" ? op["x-rampart-permission"] : "(none)",
      ...(op["x-rampart-permission-filtered"] === true ? { filtered: true } : {}),
    })),
  );
}

/** Whether a standing role grants the permission: in an unprotected environment, or in a protected one. */
function standing(role: Role, permission: Permission, kind: "user" | "service", isProtected: boolean): boolean {
  // Platform permissions are held through a role in every environment, which no environment's protection caps.
  const env = platformPermissions.has(permission) ? "*" : "production";
  const principal = { kind, name: "x", grants: [{ role, env }], timed: [], apps: null };
  return decide(principal, { permission, env: platformPermissions.has(permission) ? null : env, isProtected, now: 0 }).allowed;
}

const mark = (allowed: boolean, granted: boolean) => (allowed ? "✓" : granted ? "JIT" : "—");

function grantedBy(role: Role, permission: Permission): boolean {
  return standing(role, permission, "user", false);
}

/** The `## Permission matrix` section of docs/access.md, generated from src/access/permissions.ts. */
export function renderPermissionMatrix(operations: readonly OperationAccess[]): string {
  const headers = ["Permission", "What it allows", ...roles];
  const name = (p: Permission) => `\`${p}\`${platformPermissions.has(p) ? " (every environment)" : ""}`;
  const unprotected = table(
    headers,
    permissions.map((p) => [name(p), permissionMeaning[p], ...roles.map((r) => mark(grantedBy(r, p), false))]),
  );
  const protectedRows = table(
    headers,
    permissions.map((p) => [
      name(p),
      permissionMeaning[p],
      ...roles.map(
        (r) => `${mark(standing(r, p, "user", true), grantedBy(r, p))} / ${mark(standing(r, p, "service", true), grantedBy(r, p))}`,
      ),
    ]),
  );
  const ops = table(
    ["Method", "Path", "Permission"],
    operations.map((o) => [
      o.method,
      `\`${o.path}\``,
      o.permission === "public" || o.permission === "own-token" ? o.permission : `\`${o.permission}\`${o.filtered ? " (filtered)" : ""}`,
    ]),
  );
  return `${MATRIX_HEADING}

Generated from \`src/access/permissions.ts\` and the OpenAPI document by \`npm run docs:access\`; a test walks every
operation of the OpenAPI document for each role, in an unprotected and a protected environment, as a person and as a
service token, and compares the API's answers with these tables.

A role is granted per environment (\`rampart role grant USER ROLE --env ENV\`) or in every environment (\`--env '*'\`).
The roles are not a ladder: a deployer (what CI's service tokens get) deploys, rolls back and steers rollouts but
reads no logs and changes no flags; only an admin manages people, reveals secrets and stops the platform. An
operation checks its permission in the environment it names (its \`:env\`, the body's \`env\`, a promotion's \`to\`,
or an \`env\` query that limits what it shows); an operation that names none needs the role in every environment,
except those marked _(filtered)_ (\`GET /api/v1/status\`, the event log and its stream, the console's
\`GET /api/v1/overview\`): they need it in at least one environment and answer with only the environments where it is
held, so a developer who may read staging alone sees staging alone (403 only when it is held nowhere; what names no
environment, such as a user's role grant, only to a role in every environment). Platform permissions (marked
"every environment") are only ever held through a role in every environment. The data dir's credentials file
(\`local\`) has every permission.

A denial is a 403 \`forbidden\` whose message names the permission, why it was refused, the roles granting it and the
command that would: \`rampart access request --role ROLE --env ENV --for 1h --reason "…"\` (or, for a platform
permission, a grant in every environment asked of an admin). ROLE is the least role granting the permission that
the environment's \`access.requests\` policy lets be requested (with \`roles: [operator]\`, a developer denied a
production deploy is told to request operator).

${UNPROTECTED}

✓: the role grants the permission; —: it does not. The same holds for people and service tokens, and for a role held
in every environment.

${unprotected.join("\n")}

${PROTECTED}

Standing access in a protected environment (\`protected: true\` in rampart.yaml) stops at **${protectedStandingCap.user}** for
people and at **${protectedStandingCap.service}** for service tokens (CI deploys), whatever role they hold; everything above
comes just in time. Each cell is _people / service tokens_: ✓ standing access suffices; JIT the role grants it, but
only through a just-in-time grant of that role (\`rampart access request\`, approved by someone else, or break-glass);
— the role does not grant it.

${protectedRows.join("\n")}

${OPERATIONS}

Every operation of the OpenAPI document (\`/api/v1/openapi.json\`, where each one carries \`x-rampart-permission\`).
\`public\` needs no token; \`own-token\` takes the route's own token (a flags SDK token), not a person's or a service's.

${ops.join("\n")}

### Protocol endpoints

Endpoints that speak another protocol check the same callers: \`GET /metrics\` (Prometheus) needs \`read\` in every
environment; \`POST /api/v1/uploads\` (source bundles) needs \`deploy\` in some environment (the deploy that uses the
upload is checked in its own); \`POST /v1/logs\`, \`/v1/traces\`, \`/v1/metrics\` (OTLP) take the ingest token, or a
caller with \`platform.manage\`; the flags SDK and OFREP endpoints take SDK tokens.
\`GET /api/v1/actions/{token}\` (a signed link from a notification) shows what the link does to anyone holding it;
\`POST\` on it acts only for a logged-in caller holding the action's permission (\`rollout.steer\` to acknowledge,
\`rollback\` in the app's environment, \`flags.write\` in the flag's), once, through the action's own route.
`;
}

/** docs/access.md with its permission matrix section replaced (or added), the rest as it was. */
export function withPermissionMatrix(document: string | null, section: string): string {
  if (document === null || document.trim() === "") return `# Access\n\n${section}`;
  const start = document.indexOf(`${MATRIX_HEADING}\n`);
  if (start === -1) return `${document.trimEnd()}\n\n${section}`;
  const next = document.slice(start + MATRIX_HEADING.length).search(/\n## /);
  const end = next === -1 ? document.length : start + MATRIX_HEADING.length + next + 1;
  return `${document.slice(0, start)}${section}${end < document.length ? `\n${document.slice(end)}` : ""}`;
}

/** The section as docs/access.md holds it, for the test that compares it with what would be generated. */
export function permissionMatrixOf(document: string): string | null {
  const start = document.indexOf(`${MATRIX_HEADING}\n`);
  if (start === -1) return null;
  const next = document.slice(start + MATRIX_HEADING.length).search(/\n## /);
  return next === -1 ? document.slice(start) : document.slice(start, start + MATRIX_HEADING.length + next + 1);
}

/** A markdown table under a heading, as rows of trimmed cells (header row first, separator dropped). */
export function tableUnder(document: string, heading: string): string[][] {
  const start = document.indexOf(`\n${heading}\n`);
  if (start === -1) return [];
  const lines = document.slice(start + heading.length + 2).split("\n");
  const first = lines.findIndex((l) => l.startsWith("|"));
  if (first === -1) return [];
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith("|")) break;
    const cells = line
      .slice(1, line.endsWith("|") ? -1 : undefined)
      .split("|")
      .map((c) => c.trim());
    if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
    rows.push(cells);
  }
  return rows;
}

export const matrixHeadings = { unprotected: UNPROTECTED, protected: PROTECTED, operations: OPERATIONS };
