/**
 * The management API's changes (S1-S9, S12): create, new values, description and allowed hosts, archive
 * and restore, delete, roll back. Each runs through audit's one path (auth/audited.ts): authorization, one
 * transaction ending in its audit entry (A2), and a change notice every node hears at commit (D2).
 */
import type { AuditAction } from "../audit/actions.js";
import type { Action } from "../auth/policy.js";
import { type Actor, actorLabel } from "../auth/types.js";
import { encryptField } from "../crypto/index.js";
import { AppError } from "../errors.js";
import type { Tx } from "../store/db.js";
import { newId, nowIso } from "../store/ids.js";
import type { Keyring } from "./keyring.js";
import { usage } from "./listing.js";
import { checkName, nameKey } from "./names.js";
import { findExact, one, type ScopeTarget, type SecretsParts } from "./reads.js";
import { safeName } from "./resolver.js";
import { parseValue } from "./schema.js";
import type { SecretRecord, Stamp } from "./store.js";
import * as q from "./store.js";
import type { SecretMetadata, SecretType, Visibility } from "./types.js";

export interface CreateSecretInput {
  name: string;
  type: SecretType;
  value: unknown;
  visibility?: Visibility | undefined;
  description?: string | undefined;
  allowedHosts?: string[] | undefined;
}

export type ChangeParts = SecretsParts & { keyring: Pick<Keyring, "activeKey"> };

interface Changed<T> {
  result: T;
  secretId?: string;
  details?: Record<string, unknown>;
}

const stamp = (actor: Actor): Stamp => ({ updatedAt: nowIso(), updatedBy: actorLabel(actor) });

/** One audited change of the secret `name`; every node drops the organization's views at commit. */
async function changeSecret<T>(
  p: ChangeParts,
  t: ScopeTarget,
  change: { action: AuditAction; name: string; needs?: Action[] },
  fn: (tx: Tx, actor: Actor) => Promise<Changed<T>>,
): Promise<T> {
  const orgId = t.access.org.id;
  const name = safeName(change.name);
  const target = { type: "secret", name };
  const unique = {
    code: "name_taken",
    message: `a secret named ${name} already exists in this scope`,
  } as const;
  const spec = { action: change.action, target, needs: change.needs, unique };
  const out = await p.audited(t.access, spec, async (tx, entry) => {
    const { result, secretId, details } = await fn(tx, t.access.actor);
    if (secretId) entry.target = { ...target, id: secretId };
    entry.details = { scope: t.project ? `project:${t.project.slug}` : "org", ...details };
    await p.runtime.notify(tx, orgId);
    return result;
  });
  p.runtime.changed(orgId);
  return out;
}

async function writeVersion(
  p: ChangeParts,
  tx: Tx,
  row: SecretRecord,
  version: number,
  serialized: string,
  by: string,
) {
  const dk = await p.keyring.activeKey(tx, row.orgId);
  const aad = { orgId: row.orgId, secretId: row.id, version, field: "value" } as const;
  await q.insertVersion(tx, {
    secretId: row.id,
    version,
    ciphertext: encryptField(dk, aad, serialized),
    keyId: dk.keyId,
    createdAt: nowIso(),
    createdBy: by,
  });
}

/**
 * A new value (or an old one, rolling back) as the next version, with a compare-and-set on the version so
 * concurrent writers cannot both win; versions past the kept count go (S9).
 */
async function nextValue(p: ChangeParts, t: ScopeTarget, tx: Tx, row: SecretRecord, serialized: string) {
  const next = { ...row, ...stamp(t.access.actor), currentVersion: row.currentVersion + 1 };
  if (!(await q.bumpVersion(tx, row.id, row.currentVersion, next)))
    throw versionConflict(next.currentVersion);
  await writeVersion(p, tx, row, next.currentVersion, serialized, next.updatedBy);
  await q.pruneVersions(tx, row.id, next.currentVersion, t.access.org.versionsKept);
  return next;
}

export async function createSecret(
  p: ChangeParts,
  t: ScopeTarget,
  input: CreateSecretInput,
): Promise<SecretMetadata> {
  const name = checkName(t.access.org.namingPolicy, input.name);
  const { serialized } = parseValue(input.type, input.value);
  const allowedHosts = input.allowedHosts ?? [];
  const needs: Action[] = allowedHosts.length > 0 ? ["secret.bind"] : [];
  return changeSecret(p, t, { action: "secret.create", name, needs }, async (tx, actor) => {
    const { updatedAt: now, updatedBy: by } = stamp(actor);
    const row: SecretRecord = {
      id: newId(),
      orgId: t.access.org.id,
      projectId: t.project?.id ?? null,
      name,
      nameKey: nameKey(name),
      type: input.type,
      visibility: input.visibility ?? "restricted",
      description: input.description ?? "",
      currentVersion: 1,
      archived: false,
      createdAt: now,
      createdBy: by,
      updatedAt: now,
      updatedBy: by,
      lastAccessedAt: null,
      lastAccessedBy: null,
      allowedHosts,
    };
    await q.insertSecret(tx, row);
    await writeVersion(p, tx, row, 1, serialized, by);
    if (t.project) {
      const shared = await q.findInScope(tx, { orgId: row.orgId, projectId: null }, row.nameKey);
      if (shared) await q.repointProjectConsumers(tx, t.project.id, shared.id, row.id);
    }
    const details = {
      type: row.type,
      visibility: row.visibility,
      version: 1,
      ...(allowedHosts.length > 0 ? { allowedHosts } : {}),
    };
    return { result: await one(tx, row), secretId: row.id, details };
  });
}

export function updateValue(
  p: ChangeParts,
  t: ScopeTarget,
  name: string,
  input: { value: unknown; expectedVersion?: number | undefined },
): Promise<SecretMetadata> {
  return changeSecret(p, t, { action: "secret.update", name }, async (tx) => {
    const row = await findExact(p, tx, t, name);
    const { serialized } = parseValue(row.type, input.value);
    if (input.expectedVersion !== undefined && input.expectedVersion !== row.currentVersion) {
      throw versionConflict(row.currentVersion);
    }
    const next = await nextValue(p, t, tx, row, serialized);
    return { result: await one(tx, next), secretId: row.id, details: { version: next.currentVersion } };
  });
}

/** PATCH: the description and, for owners and admins, the allowed hosts (S12). */
export function updateMetadata(
  p: ChangeParts,
  t: ScopeTarget,
  name: string,
  patch: { description?: string | undefined; allowedHosts?: string[] | undefined },
): Promise<SecretMetadata> {
  const hosts = patch.allowedHosts;
  const action = hosts !== undefined ? "secret.bind" : "secret.describe";
  return changeSecret(p, t, { action, name }, async (tx, actor) => {
    const row = await findExact(p, tx, t, name);
    const updated: SecretRecord = {
      ...row,
      ...stamp(actor),
      description: patch.description ?? row.description,
      allowedHosts: hosts ?? row.allowedHosts,
    };
    await q.describe(tx, row.id, updated);
    const result = await one(tx, updated);
    if (hosts === undefined) return { result, secretId: row.id };
    return { result, secretId: row.id, details: { allowedHosts: { from: row.allowedHosts, to: hosts } } };
  });
}

export function setArchived(p: ChangeParts, t: ScopeTarget, name: string, archived: boolean) {
  const action = archived ? "secret.archive" : "secret.restore";
  return changeSecret(p, t, { action, name }, async (tx, actor) => {
    const row = await findExact(p, tx, t, name);
    const updated = { ...row, ...stamp(actor), archived };
    await q.setArchived(tx, row.id, archived, updated);
    return { result: await one(tx, updated), secretId: row.id };
  });
}

/**
 * Deletes a secret. A project secret that overrides an organization secret may be deleted while in use:
 * its consumers fall back to the organization's secret of the same name (`fallback: "org"`).
 */
export function removeSecret(
  p: ChangeParts,
  t: ScopeTarget,
  name: string,
): Promise<{ fallback: "org" | null }> {
  return changeSecret(p, t, { action: "secret.delete", name }, async (tx) => {
    const row = await findExact(p, tx, t, name);
    const usedBy = (await usage(tx, [row.id])).get(row.id) ?? [];
    const shared =
      t.project && usedBy.length > 0
        ? await q.findInScope(tx, { orgId: row.orgId, projectId: null }, row.nameKey)
        : undefined;
    if (usedBy.length > 0 && !shared) {
      throw new AppError(
        "secret_in_use",
        `secret ${row.name} is used by ${usedBy.length} consumer(s); remove it from them first`,
        { usedBy },
      );
    }
    // An override in use: its consumers go back to the organization's secret they would see anyway.
    if (shared && t.project) await q.repointProjectConsumers(tx, t.project.id, row.id, shared.id);
    await q.deleteSecret(tx, row.id);
    p.runtime.values.forget(row.id);
    return {
      result: { fallback: shared ? ("org" as const) : null },
      secretId: row.id,
      ...(shared ? { details: { fallback: "org", consumers: usedBy.length } } : {}),
    };
  });
}

export function rollback(
  p: ChangeParts,
  t: ScopeTarget,
  name: string,
  version: number,
): Promise<SecretMetadata> {
  return changeSecret(p, t, { action: "secret.rollback", name }, async (tx) => {
    const row = await findExact(p, tx, t, name);
    const old = await q.versionRow(tx, row.id, version);
    if (!old) throw new AppError("not_found", `version ${version} of ${row.name} is not kept`);
    const value = await p.runtime.values.decrypt(tx, row, version);
    const next = await nextValue(p, t, tx, row, JSON.stringify(value));
    return {
      result: await one(tx, next),
      secretId: row.id,
      details: { fromVersion: version, version: next.currentVersion },
    };
  });
}

function versionConflict(current: number): AppError {
  return new AppError("version_conflict", `the secret changed meanwhile; its current version is ${current}`, {
    currentVersion: current,
  });
}
