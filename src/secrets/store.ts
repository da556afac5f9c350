/**
 * Data access of the secrets domain (Kysely; the same queries serve SQLite and PostgreSQL). Only this file
 * and listing.ts (list pages) run SQL on `secrets` and `secret_versions`; they answer camelCase records
 * with real booleans.
 */
import { type Selectable, sql } from "kysely";
import type { Dialect, Tx } from "../store/db.js";
import { groupRows } from "../store/rows.js";
import type { SecretsTable } from "../store/schema.js";
import { parseAllowedHosts } from "./hosts.js";
import type { Scope, SecretType, Visibility } from "./types.js";

type SecretRow = Selectable<SecretsTable>;

/** A secret's row, without its value. */
export interface SecretRecord {
  id: string;
  orgId: string;
  /** null: an organization secret, shared by its projects. */
  projectId: string | null;
  name: string;
  /** The name as compared (names.ts): unique per scope. */
  nameKey: string;
  type: SecretType;
  visibility: Visibility;
  description: string;
  currentVersion: number;
  archived: boolean;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  lastAccessedAt: string | null;
  /** The consumer that last used it, as JSON (a ConsumerRef). */
  lastAccessedBy: string | null;
  /** S12: where its value may be sent; empty means anywhere. */
  allowedHosts: string[];
}

/** The columns a secret's answer shows: all a list page reads of a row (listing.ts). */
export type ShownColumns = Omit<SecretRow, "id" | "org_id" | "created_by" | "allowed_hosts"> & {
  allowed_hosts: string | null;
};

export function shownFields(row: ShownColumns): Omit<SecretRecord, "id" | "orgId" | "createdBy"> {
  return {
    projectId: row.project_id,
    name: row.name,
    nameKey: row.name_key,
    type: row.type,
    visibility: row.visibility,
    description: row.description,
    currentVersion: Number(row.current_version),
    archived: row.archived === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
    lastAccessedAt: row.last_accessed_at,
    lastAccessedBy: row.last_accessed_by,
    allowedHosts: parseAllowedHosts(row.allowed_hosts),
  };
}

export function toSecretRecord(row: SecretRow): SecretRecord {
  return { id: row.id, orgId: row.org_id, createdBy: row.created_by, ...shownFields(row) };
}

/** A kept version's ciphertext (AES-256-GCM, bound to the secret, the version and the field). */
export interface VersionRecord {
  secretId: string;
  version: number;
  ciphertext: string;
  keyId: string;
  createdAt: string;
  createdBy: string;
}

/** What changes with every edit of a secret's row. */
export interface Stamp {
  updatedAt: string;
  updatedBy: string;
}

/**
 * The query of the secret named `key` in exactly this scope, in the unique index's own expression
 * (`scopeKeys` below): `project_id is null` or `project_id = ?` could use only its first column and read
 * every secret of the organization, on every write of one.
 */
export const inScope = (tx: Tx, scope: Scope, key: string) =>
  tx
    .selectFrom("secrets")
    .selectAll()
    .where("org_id", "=", scope.orgId)
    .where(sql<string>`coalesce(project_id, '')`, "=", scope.projectId ?? "")
    .where("name_key", "=", key);

/**
 * The secret of exactly this scope. `lockOn` (the store's dialect): hold the row until the transaction ends, so concurrent
 * updates queue instead of failing their version check (SQLite's write transactions already exclude
 * each other).
 */
export async function findInScope(
  tx: Tx,
  scope: Scope,
  key: string,
  lockOn?: Dialect,
): Promise<SecretRecord | undefined> {
  let q = inScope(tx, scope, key);
  if (lockOn === "postgres") q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row && toSecretRecord(row);
}

/**
 * The scope condition in the unique index's own expression `coalesce(project_id, '')`, so a lookup by
 * name is an index search, not a scan of every secret of the organization (decision 0245).
 */
const scopeKeys = (scope: Scope) => (scope.projectId === null ? [""] : ["", scope.projectId]);

/** Secrets of this scope; for a project also the organization's (the caller decides which wins). */
export async function listVisible(tx: Tx, scope: Scope, names?: string[]): Promise<SecretRecord[]> {
  const q = tx
    .selectFrom("secrets")
    .selectAll()
    .where("org_id", "=", scope.orgId)
    .where(sql<string>`coalesce(project_id, '')`, "in", scopeKeys(scope));
  if (names) {
    if (names.length === 0) return [];
    return (await q.where("name_key", "in", names).orderBy("name_key").execute()).map(toSecretRecord);
  }
  return (await q.orderBy("name_key").execute()).map(toSecretRecord);
}

export async function versionRow(
  tx: Tx,
  secretId: string,
  version: number,
): Promise<VersionRecord | undefined> {
  const row = await tx
    .selectFrom("secret_versions")
    .selectAll()
    .where("secret_id", "=", secretId)
    .where("version", "=", version)
    .executeTakeFirst();
  return (
    row && {
      secretId: row.secret_id,
      version: Number(row.version),
      ciphertext: row.ciphertext,
      keyId: row.key_id,
      createdAt: row.created_at,
      createdBy: row.created_by,
    }
  );
}

export async function versions(
  tx: Tx,
  secretId: string,
): Promise<{ version: number; createdAt: string; createdBy: string }[]> {
  const rows = await tx
    .selectFrom("secret_versions")
    .select(["version", "created_at", "created_by"])
    .where("secret_id", "=", secretId)
    .orderBy("version", "desc")
    .execute();
  return rows.map((r) => ({
    version: Number(r.version),
    createdAt: r.created_at,
    createdBy: r.created_by,
  }));
}

export async function insertSecret(tx: Tx, secret: SecretRecord): Promise<void> {
  await tx
    .insertInto("secrets")
    .values({
      id: secret.id,
      org_id: secret.orgId,
      project_id: secret.projectId,
      name: secret.name,
      name_key: secret.nameKey,
      type: secret.type,
      visibility: secret.visibility,
      description: secret.description,
      current_version: secret.currentVersion,
      archived: secret.archived ? 1 : 0,
      created_at: secret.createdAt,
      created_by: secret.createdBy,
      updated_at: secret.updatedAt,
      updated_by: secret.updatedBy,
      last_accessed_at: secret.lastAccessedAt,
      last_accessed_by: secret.lastAccessedBy,
      allowed_hosts: JSON.stringify(secret.allowedHosts),
    })
    .execute();
}

export async function insertVersion(tx: Tx, v: VersionRecord): Promise<void> {
  await tx
    .insertInto("secret_versions")
    .values({
      secret_id: v.secretId,
      version: v.version,
      ciphertext: v.ciphertext,
      key_id: v.keyId,
      created_at: v.createdAt,
      created_by: v.createdBy,
    })
    .execute();
}

export async function describe(
  tx: Tx,
  secretId: string,
  change: { description: string; allowedHosts: string[] } & Stamp,
): Promise<void> {
  await tx
    .updateTable("secrets")
    .set({
      description: change.description,
      allowed_hosts: JSON.stringify(change.allowedHosts),
      updated_at: change.updatedAt,
      updated_by: change.updatedBy,
    })
    .where("id", "=", secretId)
    .execute();
}

export async function setArchived(tx: Tx, secretId: string, archived: boolean, stamp: Stamp): Promise<void> {
  await tx
    .updateTable("secrets")
    .set({ archived: archived ? 1 : 0, updated_at: stamp.updatedAt, updated_by: stamp.updatedBy })
    .where("id", "=", secretId)
    .execute();
}

/** Moves `secretId` from version `from` to `from + 1`; false when another writer moved it first. */
export async function bumpVersion(tx: Tx, secretId: string, from: number, stamp: Stamp): Promise<boolean> {
  const result = await tx
    .updateTable("secrets")
    .set({ current_version: from + 1, updated_at: stamp.updatedAt, updated_by: stamp.updatedBy })
    .where("id", "=", secretId)
    .where("current_version", "=", from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The secret and every ciphertext of it (S6: SQLite runs with secure_delete, so pages are zeroed). */
export async function deleteSecret(tx: Tx, secretId: string): Promise<void> {
  await tx.deleteFrom("secret_versions").where("secret_id", "=", secretId).execute();
  await tx.deleteFrom("secrets").where("id", "=", secretId).execute();
}

/** X7: the last access, unless a later one is already written. */
export async function noteAccess(db: Tx, secretId: string, at: string, by: string): Promise<void> {
  await db
    .updateTable("secrets")
    .set({ last_accessed_at: at, last_accessed_by: by })
    .where("id", "=", secretId)
    .where((eb) => eb.or([eb("last_accessed_at", "is", null), eb("last_accessed_at", "<", at)]))
    .execute();
}

/** The kept version numbers of each secret, newest first (the current one among them). */
export async function keptVersions(tx: Tx, secretIds: string[]): Promise<Map<string, number[]>> {
  if (secretIds.length === 0) return new Map();
  const rows = await tx
    .selectFrom("secret_versions")
    .select(["secret_id", "version"])
    .where("secret_id", "in", secretIds)
    .orderBy("secret_id")
    .orderBy("version", "desc")
    .execute();
  return groupRows(
    rows,
    (r) => r.secret_id,
    (r) => Number(r.version),
  );
}

/** Destroys the ciphertexts of versions older than the newest `keep` (S9). */
export async function pruneVersions(
  tx: Tx,
  secretId: string,
  currentVersion: number,
  keep: number,
): Promise<void> {
  await tx
    .deleteFrom("secret_versions")
    .where("secret_id", "=", secretId)
    .where("version", "<=", currentVersion - keep)
    .execute();
}

/** When a project secret shadows an organization secret, the project's consumers now use it. */
export async function repointProjectConsumers(
  tx: Tx,
  projectId: string,
  fromSecretId: string,
  toSecretId: string,
) {
  const ids = tx.selectFrom("consumers").select("id").where("project_id", "=", projectId);
  await tx
    .updateTable("consumer_secrets")
    .set({ secret_id: toSecretId })
    .where("secret_id", "=", fromSecretId)
    .where("consumer_id", "in", ids)
    .execute();
}
