/**
 * The shapes of Cloakroom's HTTP API v1 (SPEC.md, "HTTP API contract" and "Shapes"), written as plain
 * interfaces so the client has no runtime dependency on the server's zod schemas. Field names follow the
 * SPEC exactly; times are ISO 8601 strings, null when never.
 */

export type Role = "owner" | "admin" | "editor" | "viewer";
export type SecretType = "token" | "username_password" | "json";
export type Visibility = "restricted" | "masked";
export type NamingPolicy = "upper_snake" | "alias";

/** A value as it is written: token → string, username_password → pair, json → object. */
export type SecretValue = string | UsernamePassword | { [key: string]: unknown };

export interface UsernamePassword {
  username: string;
  password: string;
}

/** Where a secret lives: the organization (shared by its projects) or one of its projects. */
export interface Scope {
  org: string;
  project?: string;
}

/** Consumers, events and logs always belong to a project. */
export interface ProjectScope {
  org: string;
  project: string;
}

export interface ConsumerRef {
  kind: "integration" | "logic";
  id: string;
  name: string;
}

// ---- accounts and organizations -------------------------------------------------------------------------

export interface User {
  id: string;
  email: string;
  createdAt: string;
}

/** An organization as the caller sees it, with the caller's role in it. */
export interface Org {
  id: string;
  slug: string;
  name: string;
  role: Role;
  createdAt: string;
}

export interface SetupInput {
  org: string;
  email: string;
  password: string;
}

export interface SetupResult {
  /** A session token for the new owner. */
  token: string;
  expiresAt: string;
  org: Org;
  user: User;
}

export interface LoginInput {
  email: string;
  password: string;
}

export interface LoginResult {
  /** A session token. */
  token: string;
  expiresAt: string;
}

export interface Me {
  /** null when the caller is an API token. */
  user: User | null;
  /** Set when the caller is an API token. */
  token?: { id: string; name: string; role: Role; orgId: string };
  orgs: Org[];
}

export interface CreateOrgInput {
  slug: string;
  name: string;
}

export interface Member {
  userId: string;
  email: string;
  role: Role;
  createdAt: string;
}

export interface AddMemberInput {
  email: string;
  /** Creates the user when no account has this email yet. */
  password?: string;
  role: Role;
}

/** An API token as listed: never its value. */
export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
}

export interface CreateTokenInput {
  name: string;
  role: Role;
}

/** The token value appears here once and is never retrievable again. */
export interface CreatedToken {
  id: string;
  token: string;
  name: string;
  role: Role;
  createdAt: string;
}

export interface OrgSettings {
  namingPolicy: NamingPolicy;
  editorsManageSecrets: boolean;
  /** How many versions of each secret are kept for rollback (S9). */
  versionsKept: number;
}

export interface UpdateSettingsInput {
  namingPolicy?: NamingPolicy;
  editorsManageSecrets?: boolean;
  versionsKept?: number;
}

export interface Project {
  id: string;
  slug: string;
  name: string;
  createdAt: string;
}

export interface CreateProjectInput {
  slug: string;
  name: string;
}

// ---- secrets -------------------------------------------------------------------------------------------

/** Secret metadata (S5). Never a value. */
export interface SecretMetadata {
  name: string;
  type: SecretType;
  visibility: Visibility;
  description: string;
  scope: "org" | "project";
  /** True when a project secret shadows an organization secret of the same name. */
  overrides?: boolean;
  usageCount: number;
  /** Present on `GET .../secrets/{name}`. */
  usedBy?: ConsumerRef[];
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
  lastAccessedAt: string | null;
  lastAccessedBy: ConsumerRef | null;
  version: number;
  archived: boolean;
}

export interface CreateSecretInput {
  name: string;
  type: SecretType;
  value: SecretValue;
  visibility?: Visibility;
  description?: string;
}

export interface UpdateSecretValueInput {
  value: SecretValue;
  /** Check-and-set: the update fails with 409 `version_conflict` when the current version differs. */
  expectedVersion?: number;
}

export interface PatchSecretInput {
  description: string;
}

export interface SecretVersion {
  version: number;
  createdAt: string;
  createdBy: string;
  /** True for the version in use. */
  current: boolean;
}

export interface RevealedSecret {
  value: SecretValue;
}

// ---- consumers -----------------------------------------------------------------------------------------

export interface IntegrationRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  body: string | null;
  basicAuth: UsernamePassword | null;
}

export interface Integration {
  id: string;
  name: string;
  event: string;
  enabled: boolean;
  secrets: string[];
  request: IntegrationRequest;
  timeoutMs: number;
}

/** What `POST`/`PUT .../integrations` take: the integration without its id; defaults fill the rest. */
export interface IntegrationInput {
  name: string;
  event: string;
  enabled?: boolean;
  secrets?: string[];
  request: Partial<IntegrationRequest> & { method: string; url: string };
  timeoutMs?: number;
}

export interface LogicFunction {
  id: string;
  name: string;
  event: string;
  enabled: boolean;
  secrets: string[];
  code: string;
  timeoutMs: number;
  memoryMb: number;
}

export interface LogicFunctionInput {
  name: string;
  event: string;
  enabled?: boolean;
  secrets?: string[];
  code: string;
  timeoutMs?: number;
  memoryMb?: number;
}

export interface TestEvent {
  name?: string;
  data?: unknown;
}

export interface RunInput {
  event?: TestEvent;
}

// ---- events, logs, audit -------------------------------------------------------------------------------

export interface PublishEventInput {
  name: string;
  data?: unknown;
}

export interface PublishedEvent {
  id: string;
}

/** An event as a consumer run received it (SPEC Concepts "Event"). */
export interface RunEvent {
  id: string;
  name: string;
  data: unknown;
  publishedAt: string;
}

/** One consumer run; every string is already redacted by the server (X6). */
export interface RunLogEntry {
  id: string;
  consumer: ConsumerRef;
  event: RunEvent;
  status: "success" | "failure";
  startedAt: string;
  durationMs: number;
  attempts: number;
  request?: { method: string; url: string; headers: Record<string, string>; body: string | null };
  response?: { status: number; headers: Record<string, string>; body: string };
  console?: { level: string; message: string }[];
  output?: unknown;
  error?: { code: string; message: string };
}

export interface LogsQuery {
  consumer?: string;
  limit?: number;
  before?: string;
}

/** Who did what to which target, and when (A1). Never a value or token. */
export interface AuditEntry {
  id: string;
  at: string;
  orgId: string | null;
  actor: { type: "user" | "token" | "system" | "anonymous"; id: string | null; name: string | null };
  action: string;
  target: { type: string; id: string | null; name: string | null } | null;
  outcome: "success" | "denied" | "failure";
  sourceIp: string | null;
  details: Record<string, unknown>;
}

export interface AuditQuery {
  limit?: number;
  before?: string;
}

// ---- errors --------------------------------------------------------------------------------------------

/** SPEC "Bad input": every error answer has this body. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}
