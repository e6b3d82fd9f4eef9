/**
 * Who may do what, per environment. Every API operation declares one of these permissions where its route is
 * defined; `docs/access.md` shows the same table, and a test compares the two.
 */
export const permissions = [
  "read",
  "logs.read",
  "deploy",
  "rollback",
  "rollout.steer",
  "flags.write",
  "flags.approve",
  "secrets.list",
  "secrets.write",
  "secrets.reveal",
  "db.query",
  "access.approve",
  "audit.read",
  "users.manage",
  "platform.manage",
  "readiness.override",
  "drill.protected",
] as const;
export type Permission = (typeof permissions)[number];

export const roles = ["viewer", "developer", "deployer", "operator", "admin"] as const;
export type Role = (typeof roles)[number];

/** Why each permission exists, for docs/access.md and the 403 message. */
export const permissionMeaning: Record<Permission, string> = {
  read: "see status, releases, rollouts, events, metrics, traces and flags",
  "logs.read": "search and tail instance logs",
  deploy: "deploy and promote releases",
  rollback: "roll back to an earlier release",
  "rollout.steer": "pause, resume, promote or abort a rollout",
  "flags.write": "create and change flags, segments and flag rollouts",
  "flags.approve": "approve flag changes in protected environments",
  "secrets.list": "list secret names and versions (never values)",
  "secrets.write": "set, unset and rotate secrets",
  "secrets.reveal": "read a secret's value",
  "db.query": "run read-only queries against an app's database",
  "access.approve": "approve or deny just-in-time access requests",
  "audit.read": "read and verify the audit log",
  "users.manage": "add and remove users, grant roles, manage tokens",
  "platform.manage": "stop the platform, install it as a service",
  "readiness.override": "let an app's first deploy to a protected environment through with failing readiness checks (audited)",
  "drill.protected": "run rollback drills in protected environments",
};

/**
 * Not a strict ladder: a deployer (the role CI's service tokens get) deploys, rolls back and steers rollouts but
 * reads no logs and changes no flags or secrets; an operator does what on-call needs; only an admin manages
 * people, reveals secrets and stops the platform.
 */
export const rolePermissions: Record<Role, readonly Permission[]> = {
  viewer: ["read", "logs.read"],
  developer: ["read", "logs.read", "deploy", "rollback", "rollout.steer", "flags.write", "secrets.list"],
  deployer: ["read", "deploy", "rollback", "rollout.steer"],
  operator: [
    "read",
    "logs.read",
    "deploy",
    "rollback",
    "rollout.steer",
    "flags.write",
    "flags.approve",
    "secrets.list",
    "secrets.write",
    "db.query",
    "access.approve",
    "audit.read",
  ],
  admin: permissions,
};

/** Permissions that are not about one environment: checked against grants for every environment ("*"). */
export const platformPermissions: ReadonlySet<Permission> = new Set(["users.manage", "audit.read", "platform.manage"]);

export type PrincipalKind = "user" | "service" | "root";

/** A standing role, in one environment or in every one ("*"). */
export interface RoleGrant {
  role: Role;
  env: string;
}

/** A just-in-time grant in force: a role in one environment until `until` (epoch ms). */
export interface TimedGrant extends RoleGrant {
  until: number;
  requestId: number;
}

export interface Principal {
  kind: PrincipalKind;
  name: string;
  grants: readonly RoleGrant[];
  timed: readonly TimedGrant[];
  /** Service tokens may be limited to some apps; null = every app. */
  apps: readonly string[] | null;
}

/**
 * Standing access in a protected environment stops here; everything above comes just in time. People read,
 * CI deploys.
 */
export const protectedStandingCap: Record<Exclude<PrincipalKind, "root">, Role> = { user: "viewer", service: "deployer" };

export interface AccessQuestion {
  permission: Permission;
  /** null for platform permissions. */
  env: string | null;
  app?: string | null;
  isProtected: boolean;
  now: number;
}

export interface AccessAnswer {
  allowed: boolean;
  /** How the answer came about: "role operator in production until 14:05 (request 7)", "standing viewer capped". */
  via: string;
}

export function rolesGranting(permission: Permission): Role[] {
  return roles.filter((r) => rolePermissions[r].includes(permission));
}

export function decide(principal: Principal, q: AccessQuestion): AccessAnswer {
  // Whoever can read the data dir already holds the machine: the credentials file acts with every permission.
  if (principal.kind === "root") return { allowed: true, via: "the local credentials file (full access)" };
  if (q.app && principal.apps && !principal.apps.includes(q.app))
    return { allowed: false, via: `the token is limited to apps ${principal.apps.join(", ")}` };
  const grants = (env: string | null) => principal.grants.filter((g) => g.env === "*" || (env !== null && g.env === env));
  if (q.env === null || platformPermissions.has(q.permission)) {
    const g = principal.grants.find((x) => x.env === "*" && rolePermissions[x.role].includes(q.permission));
    return g
      ? { allowed: true, via: `role ${g.role} in every environment` }
      : { allowed: false, via: "no role in every environment grants it" };
  }
  // Approving is not capped (ADR 12): it changes nothing by itself, and someone must be able to approve production requests.
  const cap = q.isProtected && q.permission !== "access.approve" ? rolePermissions[protectedStandingCap[principal.kind]] : null;
  for (const g of grants(q.env)) {
    if (!rolePermissions[g.role].includes(q.permission)) continue;
    if (cap && !cap.includes(q.permission)) continue;
    return { allowed: true, via: `role ${g.role}${g.env === "*" ? " in every environment" : ` in ${g.env}`}` };
  }
  for (const t of principal.timed) {
    if (t.env !== q.env || t.until <= q.now || !rolePermissions[t.role].includes(q.permission)) continue;
    return { allowed: true, via: `role ${t.role} in ${t.env} until ${new Date(t.until).toISOString()} (access request ${t.requestId})` };
  }
  const standing = grants(q.env).some((g) => rolePermissions[g.role].includes(q.permission));
  return {
    allowed: false,
    via:
      standing && cap
        ? `${q.env} is protected: standing access stops at ${protectedStandingCap[principal.kind]}`
        : `no role in ${q.env} grants it`,
  };
}
