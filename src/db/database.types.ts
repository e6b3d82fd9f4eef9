import type { Generated } from "kysely";

/** Tables of the store. Each capability owns its tables; this is the one place Kysely learns their shape. */
export interface Database {
  events: EventsTable;
  artifacts: ArtifactsTable;
  releases: ReleasesTable;
  instances: InstancesTable;
  rollouts: RolloutsTable;
  request_stats: RequestStatsTable;
  kv: KvTable;
  traffic: TrafficTable;
}

export interface EventsTable {
  id: Generated<number>;
  at: number;
  type: string;
  env: string | null;
  app: string | null;
  release: number | null;
  instance: string | null;
  actor: string;
  message: string;
  data: string;
  /** The audit chain (src/audit/): sha256 of the previous event's hash and this event's content. */
  hash: string | null;
}

export interface ArtifactsTable {
  digest: string;
  dir: string;
  files: number;
  bytes: number;
  created_at: number;
  last_used_at: number;
  build_status: string;
  build_command: string | null;
  build_ms: number | null;
}

export interface ReleasesTable {
  id: Generated<number>;
  env: string;
  app: string;
  number: number;
  artifact_digest: string;
  config: string;
  strategy: string;
  status: string;
  reason: string | null;
  source_dir: string;
  git_commit: string | null;
  git_commit_time: string | null;
  git_dirty: number | null;
  rollback_of: number | null;
  created_by: string;
  created_at: number;
  live_at: number | null;
  finished_at: number | null;
}

export interface InstancesTable {
  id: string;
  env: string;
  app: string;
  release: number;
  slot: number;
  port: number;
  status: string;
  routable: number;
  pid: number | null;
  pid_start: string | null;
  runner_pid: number | null;
  runner_start: string | null;
  restarts: number;
  started_at: number;
  updated_at: number;
  log_path: string;
  state_dir: string;
  last_exit: string | null;
}

export interface RolloutsTable {
  id: Generated<number>;
  env: string;
  app: string;
  release: number;
  from_release: number | null;
  strategy: string;
  state: string;
  step: number;
  started_at: number;
  updated_at: number;
  finished_at: number | null;
  data: string;
}

export interface RequestStatsTable {
  at: number;
  env: string;
  app: string;
  release: number;
  instance: string;
  status: number;
  count: number;
  sum_ms: number;
  buckets: string;
}

export interface KvTable {
  key: string;
  value: string;
}

export interface TrafficTable {
  env: string;
  app: string;
  /** JSON array of instance ids. */
  routable: string;
  /** JSON object release → weight, or null. */
  weights: string | null;
  updated_at: number;
}
