/**
 * The database schema as Kysely sees it. One schema serves SQLite and PostgreSQL, so it keeps to types both
 * share: text ids (UUIDv7, time-ordered), ISO-8601 text timestamps, integer booleans (0/1), JSON as text and
 * ciphertexts as base64 text.
 */
import type { Generated } from "kysely";

export interface MetaTable {
  key: string;
  value: string;
}

export interface UsersTable {
  id: string;
  email: string; // lowercased
  password_hash: string;
  created_at: string;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: string;
  expires_at: string;
}

export interface OrgsTable {
  id: string;
  slug: string;
  name: string;
  naming_policy: "upper_snake" | "alias";
  editors_manage_secrets: number;
  editors_compute_with_restricted: Generated<number>; // 0003: defaults to 0
  versions_kept: number;
  created_at: string;
}

export interface MembersTable {
  org_id: string;
  user_id: string;
  role: "owner" | "admin" | "editor" | "viewer";
  created_at: string;
}

export interface ApiTokensTable {
  id: string;
  org_id: string;
  name: string;
  role: "owner" | "admin" | "editor" | "viewer";
  token_hash: string;
  created_at: string;
  created_by: string;
  /** The person behind the token: its creator, or the creator of the token that created it. */
  created_by_user_id: string | null;
  last_used_at: string | null;
}

export interface InvitationsTable {
  id: string;
  org_id: string;
  email: string; // lowercased
  role: "owner" | "admin" | "editor" | "viewer";
  token_hash: string;
  created_at: string;
  created_by: string;
  created_by_user_id: string | null;
  expires_at: string;
}

export interface ProjectsTable {
  id: string;
  org_id: string;
  slug: string;
  name: string;
  created_at: string;
}

export interface DataKeysTable {
  id: string; // key id, carried in every ciphertext header
  org_id: string;
  wrapped: string;
  root_key_id: string;
  created_at: string;
  active: number;
}

export interface SecretsTable {
  id: string;
  org_id: string;
  project_id: string | null; // null: organization scope
  name: string;
  name_key: string; // the name folded for case-insensitive uniqueness
  type: "token" | "username_password" | "json";
  visibility: "restricted" | "masked";
  description: string;
  current_version: number;
  archived: number;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
  last_accessed_at: string | null;
  last_accessed_by: string | null; // consumer reference "kind:id:name"
  allowed_hosts: Generated<string>; // 0003: JSON array of host names (S12); [] means any
}

export interface SecretVersionsTable {
  secret_id: string;
  version: number;
  ciphertext: string;
  key_id: string;
  created_at: string;
  created_by: string;
}

export interface ConsumersTable {
  id: string;
  org_id: string;
  project_id: string;
  /** `installation` (X8): an app installation; `name` is its key, unique per project; events never trigger it. */
  kind: "integration" | "logic" | "template" | "flow" | "installation";
  name: string;
  event: string;
  enabled: number;
  config: string; // JSON of the kind's own fields
  created_at: string;
  updated_at: string;
}

export interface ConsumerSecretsTable {
  consumer_id: string;
  secret_id: string;
  name: string; // the declared name, as the consumer wrote it
}

export interface EventsTable {
  id: string;
  org_id: string;
  project_id: string;
  name: string;
  data: string; // JSON
  published_at: string;
}

export interface RunsTable {
  id: string;
  org_id: string;
  project_id: string;
  consumer_id: string;
  event_id: string;
  status: "pending" | "running" | "success" | "failure";
  attempts: number;
  next_attempt_at: string;
  locked_by: string | null;
  locked_until: string | null;
  created_at: string;
  updated_at: string;
}

export interface RunLogsTable {
  id: string;
  org_id: string;
  project_id: string;
  consumer_id: string;
  run_id: string | null;
  status: "success" | "failure";
  started_at: string;
  entry: string; // JSON of the redacted run-log entry
}

export interface RunLogUsageTable {
  org_id: string;
  /** Characters of `run_logs.entry` stored for the organization (PostgreSQL returns bigint as text). */
  bytes: number | string;
}

export interface AuditLogTable {
  id: string;
  chain: string; // organization id, or "_system" for what belongs to no organization
  chain_seq: number;
  org_id: string | null;
  at: string;
  actor_type: "user" | "token" | "system" | "anonymous";
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  target_name: string | null;
  outcome: "success" | "denied" | "failure";
  source_ip: string | null;
  details: string; // JSON, never a value
  /** How `hash` is computed: 1 unkeyed sha256 (early releases), 2 HMAC with the audit key. */
  format: number;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadsTable {
  chain: string;
  chain_seq: number;
  hash: string;
}

export interface Database {
  meta: MetaTable;
  users: UsersTable;
  sessions: SessionsTable;
  orgs: OrgsTable;
  members: MembersTable;
  api_tokens: ApiTokensTable;
  invitations: InvitationsTable;
  projects: ProjectsTable;
  data_keys: DataKeysTable;
  secrets: SecretsTable;
  secret_versions: SecretVersionsTable;
  consumers: ConsumersTable;
  consumer_secrets: ConsumerSecretsTable;
  events: EventsTable;
  runs: RunsTable;
  run_logs: RunLogsTable;
  run_log_usage: RunLogUsageTable;
  audit_log: AuditLogTable;
  audit_heads: AuditHeadsTable;
}
