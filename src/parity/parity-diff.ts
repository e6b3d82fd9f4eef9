import type { AppSide, DatabaseSide, DriftDraft, EnvironmentLimits, FlagSide, RuntimeView, Severity } from "./parity.types.ts";

/**
 * The rules of parity, as pure functions over two snapshots (from → to). Severity says how much a difference
 * undermines what the first environment proves about the second: critical when the second runs something the
 * first never ran (another command, runtime major, schema, route, a missing secret or env key); warning when
 * the shape is the same but the numbers are not (instances, limits, values, a stale artifact, data volume);
 * info for what usually differs on purpose (hosts, secret versions, rollout strategy).
 */

/** Data volume differing by more than this factor is a warning (the seed: "staging was one-tenth the size of prod"). */
export const ROWS_WARNING_FACTOR = 10;
/** …and by more than this one, info. */
export const ROWS_INFO_FACTOR = 2;

type Emit = (key: string, severity: Severity, from: unknown, to: unknown, message: string) => void;

function collector(): { drafts: DriftDraft[]; emit: Emit } {
  const drafts: DriftDraft[] = [];
  return { drafts, emit: (key, severity, from, to, message) => drafts.push({ key, severity, from, to, message }) };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function diffApp(app: string, a: AppSide, b: AppSide): DriftDraft[] {
  const { drafts, emit } = collector();
  if (a.release === null || b.release === null) {
    if (a.release !== b.release) {
      const missing = a.release === null ? a.env : b.env;
      emit(
        "deployed",
        "critical",
        a.release,
        b.release,
        `${app} has no live release in ${missing}: rampart deploy ${app} --env ${missing}`,
      );
    }
    diffSecrets(app, a, b, emit);
    diffDatabases(app, a, b, emit);
    return drafts;
  }
  if (a.artifact !== b.artifact)
    emit(
      "artifact",
      "warning",
      a.artifact,
      b.artifact,
      `${b.env} serves another artifact than ${a.env} (releases ${a.release} and ${b.release}): rampart promote ${app} --from ${a.env} --to ${b.env}`,
    );
  if (a.run !== b.run) emit("run", "critical", a.run, b.run, `${app} runs another command in ${b.env} than in ${a.env}`);
  if (a.build !== b.build) emit("build", "critical", a.build, b.build, `${app} is built with another command in ${b.env} than in ${a.env}`);
  diffEnvVars(app, a, b, emit);
  diffSecrets(app, a, b, emit);
  diffInstances(app, a, b, emit);
  diffLimits(a, b, emit);
  if (!same(a.routes, b.routes))
    emit("routes", "critical", a.routes, b.routes, `${app}'s routes differ: requests tested in ${a.env} may go elsewhere in ${b.env}`);
  if (!same(a.hosts, b.hosts)) emit("hosts", "info", a.hosts, b.hosts, `${app} answers other hosts in ${b.env} than in ${a.env}`);
  diffHealth(app, a, b, emit);
  if (a.drainMs !== b.drainMs)
    emit("drain", "warning", a.drainMs, b.drainMs, `${app} drains for ${a.drainMs} ms in ${a.env}, ${b.drainMs} ms in ${b.env}`);
  if (a.strategy !== b.strategy)
    emit("release.strategy", "info", a.strategy, b.strategy, `${app} rolls out ${a.strategy} in ${a.env}, ${b.strategy} in ${b.env}`);
  diffRuntimes(app, a, b, emit);
  diffDatabases(app, a, b, emit);
  return drafts;
}

function diffEnvVars(app: string, a: AppSide, b: AppSide, emit: Emit): void {
  for (const name of union(Object.keys(a.envVars), Object.keys(b.envVars))) {
    const [x, y] = [a.envVars[name] ?? null, b.envVars[name] ?? null];
    if (x === y) continue;
    if (x === null || y === null)
      emit(`env.${name}`, "critical", x, y, `${name} is set for ${app} in ${x === null ? b.env : a.env} only (apps.${app}.env)`);
    else emit(`env.${name}`, "warning", x, y, `${name} is ${JSON.stringify(x)} in ${a.env}, ${JSON.stringify(y)} in ${b.env}`);
  }
}

function diffSecrets(app: string, a: AppSide, b: AppSide, emit: Emit): void {
  for (const name of union(Object.keys(a.secrets), Object.keys(b.secrets))) {
    const [x, y] = [a.secrets[name] ?? null, b.secrets[name] ?? null];
    if (x === null || y === null) {
      const missing = x === null ? a.env : b.env;
      emit(
        `secrets.${name}`,
        "critical",
        x && { version: x.version },
        y && { version: y.version },
        `secret ${name} of ${app} is not set in ${missing}: rampart secrets set ${app} ${name} --env ${missing} < FILE`,
      );
    } else if (x.version !== y.version)
      emit(
        `secrets.${name}`,
        "info",
        { version: x.version },
        { version: y.version },
        `secret ${name} of ${app} is at version ${x.version} in ${a.env}, ${y.version} in ${b.env} (values are never compared or shown)`,
      );
  }
}

function diffInstances(app: string, a: AppSide, b: AppSide, emit: Emit): void {
  if (a.instances.declared !== b.instances.declared)
    emit(
      "instances",
      "warning",
      a.instances.declared,
      b.instances.declared,
      `${app} runs ${a.instances.declared} instance(s) in ${a.env}, ${b.instances.declared} in ${b.env}`,
    );
  for (const side of [a, b]) {
    if (side.instances.declared === null || side.instances.healthy >= side.instances.declared) continue;
    emit(
      `health.instances.${side.env}`,
      "warning",
      side === a ? side.instances.healthy : null,
      side === b ? side.instances.healthy : null,
      `${side.instances.healthy} of ${side.instances.declared} instance(s) of ${app} are healthy in ${side.env}: rampart status`,
    );
  }
}

function diffLimits(a: AppSide, b: AppSide, emit: Emit): void {
  if (!a.limits || !b.limits) return;
  const names = { bodyBytes: "limits.body", ratePerSecond: "limits.rate", burst: "limits.burst", timeoutMs: "timeout" } as const;
  for (const field of Object.keys(names) as (keyof typeof names)[]) {
    const [x, y] = [a.limits[field], b.limits[field]];
    if (x !== y) emit(names[field], "warning", x, y, `${names[field]} is ${x ?? "none"} in ${a.env}, ${y ?? "none"} in ${b.env}`);
  }
}

function diffHealth(app: string, a: AppSide, b: AppSide, emit: Emit): void {
  if (!a.health || !b.health) return;
  for (const field of Object.keys(a.health) as (keyof NonNullable<AppSide["health"]>)[]) {
    const [x, y] = [a.health[field], b.health[field]];
    if (x === y) continue;
    const critical = field === "path";
    emit(
      `health.${field}`,
      critical ? "critical" : "warning",
      x,
      y,
      critical ? `${app}'s health check asks another path in ${b.env}` : `${app}'s health ${field} is ${x} in ${a.env}, ${y} in ${b.env}`,
    );
  }
}

/** "v24.11.1" → 24, "Python 3.11.2" → 3. */
export function majorOf(version: string | null): number | null {
  const match = version === null ? null : /(\d+)\.\d+/.exec(version);
  return match ? Number(match[1]) : null;
}

function describeRuntimes(runtimes: RuntimeView[]): string {
  return runtimes.length === 0 ? "nothing seen" : runtimes.map((r) => `${r.name} ${r.version ?? "(version unknown)"}`).join(", ");
}

function diffRuntimes(app: string, a: AppSide, b: AppSide, emit: Emit): void {
  const [x, y] = [a.runtimes, b.runtimes];
  if (x.length === 0 || y.length === 0) return;
  const versions = (rs: RuntimeView[]) => [...new Set(rs.map((r) => `${r.name} ${r.version ?? ""}`.trim()))].sort();
  for (const side of [a, b])
    if (side.runtimes.length > 1)
      emit(
        `runtime.mixed.${side.env}`,
        "warning",
        null,
        null,
        `${app}'s instances in ${side.env} run different binaries: ${describeRuntimes(side.runtimes)}`,
      );
  if (same(versions(x), versions(y))) return;
  const names = (rs: RuntimeView[]) => [...new Set(rs.map((r) => r.name))].sort();
  const majors = (rs: RuntimeView[]) => [...new Set(rs.map((r) => `${r.name}@${majorOf(r.version)}`))].sort();
  const critical = !same(names(x), names(y)) || !same(majors(x), majors(y));
  emit(
    "runtime",
    critical ? "critical" : "warning",
    versions(x),
    versions(y),
    `${app} runs ${describeRuntimes(x)} in ${a.env}, ${describeRuntimes(y)} in ${b.env}`,
  );
}

function diffDatabases(app: string, a: AppSide, b: AppSide, emit: Emit): void {
  const byName = (side: AppSide) => new Map(side.databases.map((d) => [d.name, d]));
  const [x, y] = [byName(a), byName(b)];
  for (const name of union([...x.keys()], [...y.keys()])) {
    const [da, db] = [x.get(name) ?? null, y.get(name) ?? null];
    if (da === null || db === null) {
      emit(
        `databases.${name}`,
        "critical",
        da?.kind ?? null,
        db?.kind ?? null,
        `${app} declares database ${name} in ${da === null ? b.env : a.env} only (apps.${app}.databases)`,
      );
      continue;
    }
    if (da.error !== null || db.error !== null) {
      const failed = [da, db].flatMap((d, i) => (d.error === null ? [] : [`${i === 0 ? a.env : b.env}: ${d.error}`]));
      emit(
        `databases.${name}.unreadable`,
        "warning",
        da.error,
        db.error,
        `database ${name} of ${app} could not be compared (${failed.join("; ")})`,
      );
      continue;
    }
    diffTables(app, name, da, db, a.env, b.env, emit);
  }
}

function diffTables(app: string, db: string, x: DatabaseSide, y: DatabaseSide, envA: string, envB: string, emit: Emit): void {
  const tablesOf = (d: DatabaseSide) => new Map(d.tables.map((t) => [t.name, t]));
  const [ta, tb] = [tablesOf(x), tablesOf(y)];
  for (const table of union([...ta.keys()], [...tb.keys()])) {
    const [p, q] = [ta.get(table), tb.get(table)];
    if (!p || !q) {
      emit(
        `databases.${db}.tables.${table}`,
        "critical",
        p ? "present" : null,
        q ? "present" : null,
        `table ${table} of ${app}/${db} exists in ${p ? envA : envB} only`,
      );
      continue;
    }
    const [ia, ib] = [new Map(p.indexes.map((i) => [i.name, i.definition])), new Map(q.indexes.map((i) => [i.name, i.definition]))];
    for (const index of union([...ia.keys()], [...ib.keys()])) {
      const [u, v] = [ia.get(index) ?? null, ib.get(index) ?? null];
      if (u !== null && v !== null) {
        if (normalizeIndex(u) !== normalizeIndex(v))
          emit(`databases.${db}.indexes.${index}`, "critical", u, v, `index ${index} on ${table} (${app}/${db}) is defined differently`);
        continue;
      }
      emit(
        `databases.${db}.indexes.${index}`,
        "critical",
        u,
        v,
        `index ${index} on ${table} (${app}/${db}) is missing in ${u === null ? envA : envB}: ${u ?? v}`,
      );
    }
    const [ra, rb] = [Math.max(p.rows, 0), Math.max(q.rows, 0)];
    const factor = Math.max(ra, rb) / Math.max(1, Math.min(ra, rb));
    if (factor > ROWS_INFO_FACTOR && Math.max(ra, rb) >= 100)
      emit(
        `databases.${db}.rows.${table}`,
        factor > ROWS_WARNING_FACTOR ? "warning" : "info",
        { rows: p.rows, bytes: p.bytes },
        { rows: q.rows, bytes: q.bytes },
        `${table} (${app}/${db}) has about ${Math.round(ra)} rows in ${envA}, ${Math.round(rb)} in ${envB} (${factor >= 10 ? Math.round(factor) : factor.toFixed(1)}x)`,
      );
  }
}

/** Index definitions name their schema (`ON public.users`); compare them without it. */
function normalizeIndex(definition: string): string {
  return definition.replace(/\sON\s+(ONLY\s+)?public\./i, " ON $1");
}

export function diffFlags(envA: string, envB: string, flags: { key: string; from: FlagSide; to: FlagSide }[]): DriftDraft[] {
  const { drafts, emit } = collector();
  for (const { key, from, to } of flags) {
    if (from === null || to === null) continue;
    if (from.enabled !== to.enabled)
      emit(
        `flags.${key}`,
        "warning",
        from,
        to,
        `flag ${key} is ${from.enabled ? "on" : "killed"} in ${envA}, ${to.enabled ? "on" : "killed"} in ${envB}`,
      );
    else if (from.serving !== to.serving)
      emit(`flags.${key}`, "info", from, to, `flag ${key} serves ${from.serving} in ${envA}, ${to.serving} in ${envB}`);
  }
  return drafts;
}

export function diffEnvironmentLimits(envA: string, envB: string, a: EnvironmentLimits, b: EnvironmentLimits): DriftDraft[] {
  const { drafts, emit } = collector();
  for (const field of Object.keys(a) as (keyof EnvironmentLimits)[])
    if (a[field] !== b[field])
      emit(`limits.edge.${field}`, "warning", a[field], b[field], `the edge's ${field} is ${a[field]} in ${envA}, ${b[field]} in ${envB}`);
  return drafts;
}

function union(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])].sort();
}
