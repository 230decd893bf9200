import type { Generated } from 'kysely';

/**
 * Table shapes as Kysely sees them. Times are epoch milliseconds (bigint-safe numbers),
 * JSON is stored as text: both work the same on SQLite and Postgres.
 */

export interface RunTable {
  id: Generated<number>;
  trigger: string;
  branch: string | null;
  ref: string;
  sha: string;
  base_sha: string | null;
  environment: string | null;
  state: string;
  notes: string;
  author: string | null;
  /** JSON array of every author of base..sha; NULL for runs recorded before it was kept. */
  authors_json: string | null;
  triggered_by: string;
  commit_message: string | null;
  /** The commit's own time (epoch ms), the start of its lead time. */
  commit_time: number | null;
  config_json: string | null;
  error_json: string | null;
  cancel_requested: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface StepTable {
  id: Generated<number>;
  run_id: number;
  key: string;
  kind: string;
  name: string;
  service: string | null;
  environment: string | null;
  needs_json: string;
  /** `success`: when every need succeeded; `failure`: only when one of them failed (rollback). */
  run_when: string;
  spec_json: string;
  position: number;
  state: string;
  message: string | null;
  attempt: number;
  max_attempts: number;
  not_before: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  /** Process group of the step's command while it runs, so a successor can stop an orphan. */
  pid: number | null;
  /** The machine (os.hostname()) that pid lives on: only that machine can stop it (migration 012). */
  process_host: string | null;
  cached: number;
  summary_json: string | null;
  error_json: string | null;
  started_at: number | null;
  finished_at: number | null;
}

export interface StepLogTable {
  id: Generated<number>;
  run_id: number;
  step_id: number;
  attempt: number;
  stream: string;
  text: string;
  at: number;
}

export interface ReleaseTable {
  id: Generated<number>;
  sha: string;
  run_id: number | null;
  committed_at: number | null;
  created_at: number;
}

export interface ArtifactTable {
  id: Generated<number>;
  release_id: number;
  service: string;
  /** The OCI manifest digest: what deployments name and verify. */
  digest: string;
  layer_digest: string;
  /** The service's content at build time; an unchanged tree reuses the artifact instead of rebuilding. */
  tree_key: string;
  size: number;
  created_at: number;
}

export interface DeploymentTable {
  id: Generated<number>;
  environment: string;
  service: string;
  release_id: number;
  digest: string;
  revision: number;
  previous_revision: number | null;
  /** The strategy kind. */
  strategy: string;
  /** JSON StrategyConfig; null on rows older than migration 009. */
  strategy_config: string | null;
  target: string | null;
  /** The environment's region ('' for an environment without regions); migration 014. */
  region: Generated<string>;
  /** JSON DeployedSpec (no secret values); null on rows older than migration 009. */
  spec: string | null;
  /** JSON RolloutProgress, written by the strategy after each pass. */
  progress: string | null;
  run_id: number | null;
  triggered_by: string;
  state: string;
  reason: string | null;
  created_at: number;
  finished_at: number | null;
}

export interface ApprovalTable {
  id: Generated<number>;
  run_id: number;
  environment: string;
  /** `deploy` for the environment's approval gate, `analysis` for an inconclusive watch window. */
  kind: string;
  user_name: string;
  decision: string;
  comment: string | null;
  created_at: number;
}

export interface EventTable {
  id: Generated<number>;
  at: number;
  kind: string;
  actor: string;
  run_id: number | null;
  data_json: string;
  /** The previous row's `hash` (domain/audit-chain.ts GENESIS_HASH for the first row). */
  prev_hash: string | null;
  /** sha256 over this row's fields and `prev_hash`; nullable only so the column could be added. */
  hash: string | null;
}

export interface GateCacheTable {
  key: string;
  service: string;
  gate: string;
  run_id: number;
  step_id: number;
  summary_json: string | null;
  created_at: number;
}

export interface EnvLockTable {
  environment: string;
  run_id: number;
  acquired_at: number;
}

export interface BranchHeadTable {
  branch: string;
  sha: string;
  last_green_sha: string | null;
  updated_at: number;
}

export interface TokenTable {
  id: Generated<number>;
  user_name: string;
  email: string | null;
  hash: string;
  /** JSON list such as ["approver:production", "deployer:*"]. */
  roles: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface LoadResultTable {
  id: Generated<number>;
  environment: string;
  service: string;
  release: string;
  run_id: number;
  figures_json: string;
  passed: number;
  created_at: number;
}

export interface BackupTable {
  id: Generated<number>;
  environment: string;
  run_id: number | null;
  reason: string;
  snapshot_json: string;
  created_at: number;
  expires_at: number;
  /** The target's own manifests (see BackupResources); null when the target keeps none. */
  resources_yaml: string | null;
  /** JSON array of kind/name, beside resources_yaml. */
  resources_objects: string | null;
}

export interface NotificationTable {
  id: Generated<number>;
  /** The events row that caused it; null for run.succeeded / run.failed, which come from the runs table. */
  event_id: number | null;
  run_id: number | null;
  channel: string;
  /** `notification`, `incident.open` or `incident.resolve`. */
  kind: string;
  /** The gantry.yaml event name it was routed by (deployment.succeeded …, incident.opened). */
  event: string;
  /** pending | delivered | failed */
  status: string;
  attempts: number;
  last_error: string | null;
  /** Sent as X-Gantry-Delivery; the same on every retry so receivers can drop duplicates. */
  delivery_id: string;
  /** Incidents only: gantry-<environment>-<service>. */
  dedup_key: string | null;
  /** Incidents only: what the receiver calls it (a GitHub issue number), needed to resolve it. */
  external_ref: string | null;
  /** The message to render, already redacted: retries and restarts send the same thing. */
  payload_json: string;
  created_at: number;
  delivered_at: number | null;
  /** The server sending it now (migration 012); another server skips it until `claimed_until`. */
  claimed_by: string | null;
  claimed_until: number | null;
}

/** A role one server holds at a time (migration 012): renewed by its holder, taken over once expired. */
export interface LeaseTable {
  name: string;
  owner: string;
  expires_at: number;
  acquired_at: number;
}

/** How far the dispatcher has read: `events` by id, `runs` by (finished_at, id). */
export interface NotificationCursorTable {
  name: string;
  last_id: number;
  last_at: number;
}

/** An image built once per release and service (migration 010). */
export interface ImageTable {
  id: Generated<number>;
  release_id: number;
  service: string;
  /** The name in gantry.yaml's `registries` of the registry it was built into. */
  registry: string;
  repository: string;
  /** The image manifest's digest: what docker targets pull and verify. */
  digest: string;
  /** `assemble` or `dockerfile`. */
  kind: string;
  /** The bundle's digest and the image config: equal keys make the same image, so it is reused. */
  build_key: string;
  base_digest: string | null;
  sbom_digest: string | null;
  size: number;
  created_at: number;
}

/** A tag pushed, or an image copied to another registry (tag null). */
export interface ImagePushTable {
  id: Generated<number>;
  registry: string;
  repository: string;
  tag: string | null;
  digest: string;
  run_id: number | null;
  pushed_at: number;
}

export interface Database {
  images: ImageTable;
  image_pushes: ImagePushTable;
  load_results: LoadResultTable;
  backups: BackupTable;
  runs: RunTable;
  steps: StepTable;
  step_logs: StepLogTable;
  releases: ReleaseTable;
  artifacts: ArtifactTable;
  deployments: DeploymentTable;
  approvals: ApprovalTable;
  events: EventTable;
  gate_cache: GateCacheTable;
  env_locks: EnvLockTable;
  branch_heads: BranchHeadTable;
  tokens: TokenTable;
  notifications: NotificationTable;
  notification_cursors: NotificationCursorTable;
  leases: LeaseTable;
}
