/**
 * The rules of SPEC S1-S11 for secrets, and the runtime's resolver (S4, S7, X6, X7). Every change writes
 * its audit entry in the same transaction (A2) and tells every node to drop its cached view (D2).
 */
import type { Logger } from "pino";
import type { AuditLog } from "../audit/index.js";
import type { AuthService, ProjectRecord } from "../auth/index.js";
import { type Actor, actorLabel, type OrgAccess } from "../auth/types.js";
import { decryptField, encryptField, keyIdOf } from "../crypto/index.js";
import { AppError, RunError } from "../errors.js";
import { isUniqueViolation, type Store, type Tx } from "../store/db.js";
import { newId, nowIso } from "../store/ids.js";
import { createNotifications, type Notifications } from "../store/notifications.js";
import { parseAllowedHosts } from "./hosts.js";
import { createInvalidationBus } from "./invalidation.js";
import type { Keyring } from "./keyring.js";
import { checkName, nameKey } from "./names.js";
import { parseValue } from "./schema.js";
import { type SecretRow, secretsStore } from "./store.js";
import {
  type ConsumerRef,
  type DeclaredSecrets,
  type Scope,
  type SecretMetadata,
  type SecretResolver,
  type SecretType,
  type SecretValue,
  sensitiveStrings,
  type Visibility,
} from "./types.js";

export interface SecretsDeps {
  store: Store;
  audit: AuditLog;
  auth: AuthService;
  keyring: Keyring;
  logger: Logger;
  /** Backstop lifetime of a node's cached view of a scope (D2). */
  cacheTtlMs: number;
  /** How often coalesced last-accessed times are written (X7). */
  accessFlushMs?: number;
  /** This node's change notices (D2); one of its own, started here, when not given. */
  notifications?: Notifications;
}

/** Where a request points: the organization, or one of its projects. */
export interface ScopeTarget {
  access: OrgAccess;
  project: ProjectRecord | null;
}

export interface CreateSecretInput {
  name: string;
  type: SecretType;
  value: unknown;
  visibility?: Visibility | undefined;
  description?: string | undefined;
  allowedHosts?: string[] | undefined;
}

export interface SecretsService extends SecretResolver {
  /** One page in name order; `nextCursor` is null on the last page. */
  list(
    t: ScopeTarget,
    options: ListOptions,
  ): Promise<{ secrets: SecretMetadata[]; nextCursor: string | null }>;
  get(t: ScopeTarget, name: string): Promise<SecretMetadata>;
  create(t: ScopeTarget, input: CreateSecretInput): Promise<SecretMetadata>;
  updateValue(
    t: ScopeTarget,
    name: string,
    input: { value: unknown; expectedVersion?: number | undefined },
  ): Promise<SecretMetadata>;
  /** PATCH: the description and, for owners and admins, the allowed hosts (S12). */
  updateMetadata(
    t: ScopeTarget,
    name: string,
    patch: { description?: string | undefined; allowedHosts?: string[] | undefined },
  ): Promise<SecretMetadata>;
  archive(t: ScopeTarget, name: string): Promise<SecretMetadata>;
  restore(t: ScopeTarget, name: string): Promise<SecretMetadata>;
  /**
   * Deletes a secret. A project secret that overrides an organization secret may be deleted while in use:
   * its consumers fall back to the organization's secret of the same name (`fallback: "org"`).
   */
  remove(t: ScopeTarget, name: string): Promise<{ fallback: "org" | null }>;
  reveal(t: ScopeTarget, name: string): Promise<{ value: SecretValue }>;
  versions(
    t: ScopeTarget,
    name: string,
  ): Promise<{ version: number; createdAt: string; createdBy: string; current: boolean }[]>;
  rollback(t: ScopeTarget, name: string, version: number): Promise<SecretMetadata>;
  /** Writes pending last-accessed times now (tests, shutdown). */
  flushAccess(): Promise<void>;
  close(): Promise<void>;
}

export interface ListOptions {
  archived: boolean;
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** The cursor is the last name key of the page, opaque to clients. */
const encodeCursor = (key: string) => Buffer.from(key, "utf8").toString("base64url");
function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, "base64url").toString("utf8");
  if (key === "" || encodeCursor(key) !== cursor) {
    throw new AppError("invalid_request", "cursor is not one this server gave", {
      fields: [{ field: "query.cursor", message: "pass nextCursor from the previous page" }],
    });
  }
  return key;
}

const VALUE_CACHE_MAX = 10_000;

interface ScopeView {
  generation: number;
  expiresAt: number;
  /** name key → the secret a consumer of this scope gets (a project secret wins). */
  effective: Map<string, SecretRow>;
  live: SecretRow[];
  redaction?: Promise<string[]>;
  /** Each redacted string → the live secrets whose value holds it. */
  holders?: Promise<Map<string, SecretRow[]>>;
}

export function createSecretsService(deps: SecretsDeps): SecretsService {
  const { store, audit, auth, keyring, logger } = deps;
  const q = secretsStore(store.dialect);

  // ---- caches: values by (secret, version); scope views by (org, project), dropped on any change ----
  const values = new Map<string, SecretValue>();
  const views = new Map<string, ScopeView>();
  /**
   * A load caches its view only if neither its organization's generation nor the global one moved while
   * it read: a change notice bumps the first, a reset of the notices (lost, late, listening again) the
   * second, which also covers organizations that had nothing cached when the reset came.
   */
  let globalGeneration = 0;
  const generations = new Map<string, number>();
  const viewKey = (orgId: string, projectId: string | null) => `${orgId}/${projectId ?? ""}`;
  const valueKey = (secretId: string, version: number) => `${secretId}:${version}`;

  const dropOrg = (orgId: string) => {
    generations.set(orgId, (generations.get(orgId) ?? 0) + 1);
    for (const key of views.keys()) if (key.startsWith(`${orgId}/`)) views.delete(key);
  };
  const dropAll = () => {
    globalGeneration += 1;
    views.clear();
  };
  const ownNotifications = deps.notifications === undefined;
  const notifications = deps.notifications ?? createNotifications({ store, logger });
  const bus = createInvalidationBus({ notifications, onInvalidate: dropOrg, onReset: dropAll });
  if (ownNotifications) notifications.start();

  const cacheValue = (key: string, value: SecretValue) => {
    if (values.size >= VALUE_CACHE_MAX) values.delete(values.keys().next().value as string);
    values.set(key, value);
  };
  const forgetSecret = (secretId: string) => {
    for (const key of values.keys()) if (key.startsWith(`${secretId}:`)) values.delete(key);
  };

  async function decryptVersion(
    tx: Tx,
    row: Pick<SecretRow, "id" | "org_id">,
    version: number,
  ): Promise<SecretValue> {
    const cacheKey = valueKey(row.id, version);
    const cached = values.get(cacheKey);
    if (cached !== undefined) return cached;
    const v = await q.versionRow(tx, row.id, version);
    if (!v) throw new AppError("not_found", `version ${version} is not kept`);
    const dk = await keyring.keyById(keyIdOf(v.ciphertext));
    const plain = decryptField(
      () => dk,
      { orgId: row.org_id, secretId: row.id, version, field: "value" },
      v.ciphertext,
    );
    const value = JSON.parse(plain) as SecretValue;
    cacheValue(cacheKey, value);
    return value;
  }

  async function writeVersion(
    tx: Tx,
    row: { id: string; org_id: string },
    version: number,
    serialized: string,
    by: string,
  ) {
    const dk = await keyring.activeKey(tx, row.org_id);
    const ciphertext = encryptField(
      dk,
      { orgId: row.org_id, secretId: row.id, version, field: "value" },
      serialized,
    );
    await tx
      .insertInto("secret_versions")
      .values({
        secret_id: row.id,
        version,
        ciphertext,
        key_id: dk.keyId,
        created_at: nowIso(),
        created_by: by,
      })
      .execute();
  }

  /** The cached view of a scope, if still fresh: runs take it without an await. */
  function freshView(orgId: string, projectId: string | null): ScopeView | undefined {
    const cached = views.get(viewKey(orgId, projectId));
    // Not listening: a change on another node could be missed, so read through (D2).
    return cached && cached.expiresAt > Date.now() && bus.listening() ? cached : undefined;
  }

  async function loadView(orgId: string, projectId: string | null): Promise<ScopeView> {
    const key = viewKey(orgId, projectId);
    const cached = freshView(orgId, projectId);
    if (cached) return cached;
    const generation = generations.get(orgId) ?? 0;
    const global = globalGeneration;
    const rows = await q.listVisible(store.db, { orgId, projectId });
    const effective = new Map<string, SecretRow>();
    for (const row of rows) {
      const current = effective.get(row.name_key);
      effective.set(row.name_key, current ? runtimeWinner(current, row) : row);
    }
    const view: ScopeView = {
      generation,
      expiresAt: Date.now() + deps.cacheTtlMs,
      effective,
      live: rows.filter((r) => r.archived === 0),
    };
    // A change committed while we read must not be cached over.
    if ((generations.get(orgId) ?? 0) === generation && globalGeneration === global && bus.listening())
      views.set(key, view);
    return view;
  }

  // ---- X7: last accessed, coalesced to one write per secret per flush ----
  const pendingAccess = new Map<string, { at: string; by: string }>();
  async function flushAccess() {
    if (pendingAccess.size === 0) return;
    const batch = [...pendingAccess.entries()];
    pendingAccess.clear();
    for (const [id, { at, by }] of batch) {
      await store.db
        .updateTable("secrets")
        .set({ last_accessed_at: at, last_accessed_by: by })
        .where("id", "=", id)
        .where((eb) => eb.or([eb("last_accessed_at", "is", null), eb("last_accessed_at", "<", at)]))
        .execute();
    }
  }
  const flushTimer = setInterval(() => {
    flushAccess().catch((error: Error) =>
      logger.warn({ err: { message: error.message } }, "last-accessed flush failed"),
    );
  }, deps.accessFlushMs ?? 5000);
  flushTimer.unref();

  // ---- helpers for the management API ----
  const scopeOf = (t: ScopeTarget): Scope => ({ orgId: t.access.org.id, projectId: t.project?.id ?? null });

  /** The secret of exactly this scope, locked for the rest of the (write) transaction. */
  async function findExact(tx: Tx, t: ScopeTarget, name: string): Promise<SecretRow> {
    const row = await q.findInScope(tx, scopeOf(t), nameKey(name), true);
    if (!row) throw new AppError("not_found", `no secret named ${safeName(name)} in this scope`);
    return row;
  }

  /** What a reader of this scope sees under `name`: the project's own secret, else the organization's. */
  async function findEffective(tx: Tx, t: ScopeTarget, name: string): Promise<SecretRow> {
    const scope = scopeOf(t);
    const own = await q.findInScope(tx, scope, nameKey(name));
    if (own) return own;
    if (scope.projectId !== null) {
      const shared = await q.findInScope(tx, { orgId: scope.orgId, projectId: null }, nameKey(name));
      if (shared) return shared;
    }
    throw new AppError("not_found", `no secret named ${safeName(name)} in this scope`);
  }

  async function metadata(tx: Tx, rows: SecretRow[], withUsedBy: boolean): Promise<SecretMetadata[]> {
    const usage = await q.usage(
      tx,
      rows.map((r) => r.id),
    );
    const orgNames = new Set<string>();
    const projectKeys = rows.filter((r) => r.project_id !== null).map((r) => r.name_key);
    if (projectKeys.length > 0) {
      const orgId = rows[0]!.org_id;
      const shared = await q.listVisible(tx, { orgId, projectId: null }, projectKeys);
      for (const r of shared) orgNames.add(r.name_key);
    }
    return rows.map((row) => {
      const usedBy = usage.get(row.id) ?? [];
      const m: SecretMetadata = {
        name: row.name,
        type: row.type,
        visibility: row.visibility,
        description: row.description,
        allowedHosts: parseAllowedHosts(row.allowed_hosts),
        scope: row.project_id === null ? "org" : "project",
        usageCount: usedBy.length,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        updatedBy: row.updated_by,
        lastAccessedAt: row.last_accessed_at,
        lastAccessedBy: parseConsumerRef(row.last_accessed_by),
        version: row.current_version,
        archived: row.archived === 1,
      };
      if (row.project_id !== null) m.overrides = orgNames.has(row.name_key);
      if (withUsedBy) m.usedBy = usedBy;
      return m;
    });
  }

  async function one(tx: Tx, row: SecretRow): Promise<SecretMetadata> {
    const [m] = await metadata(tx, [row], true);
    return m!;
  }

  /** Runs a change: authorization, then one transaction with its audit entry and a change notice. */
  async function change<T>(
    t: ScopeTarget,
    action: string,
    name: string,
    fn: (
      tx: Tx,
      actor: Actor,
    ) => Promise<{ result: T; secretId?: string; details?: Record<string, unknown> }>,
  ): Promise<T> {
    await auth.authorize(t.access, "secret.write", { type: "secret", name: safeName(name) });
    const orgId = t.access.org.id;
    try {
      const out = await store.transaction(async (tx) => {
        const { result, secretId, details } = await fn(tx, t.access.actor);
        await audit.append(tx, {
          orgId,
          actor: t.access.actor,
          action,
          target: { type: "secret", name: safeName(name), ...(secretId ? { id: secretId } : {}) },
          outcome: "success",
          sourceIp: t.access.ctx.sourceIp,
          details: { scope: t.project ? `project:${t.project.slug}` : "org", ...details },
        });
        await bus.notify(tx, orgId);
        return result;
      });
      dropOrg(orgId);
      return out;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError("name_taken", `a secret named ${safeName(name)} already exists in this scope`);
      }
      throw error;
    }
  }

  const service: SecretsService = {
    async list(t, options) {
      await auth.authorize(t.access, "secret.read");
      const rows = await q.listPage(store.db, scopeOf(t), {
        archived: options.archived,
        contains: options.q ? nameKey(options.q) : undefined,
        after: options.cursor === undefined ? undefined : decodeCursor(options.cursor),
        limit: options.limit + 1,
      });
      const page = rows.slice(0, options.limit);
      const nextCursor = rows.length > options.limit ? encodeCursor(page[page.length - 1]!.name_key) : null;
      return { secrets: await metadata(store.db, page, false), nextCursor };
    },

    async get(t, name) {
      await auth.authorize(t.access, "secret.read");
      return one(store.db, await findEffective(store.db, t, name));
    },

    async create(t, input) {
      const policy = t.access.org.namingPolicy;
      const name = checkName(policy, input.name);
      const { serialized } = parseValue(input.type, input.value);
      const allowedHosts = input.allowedHosts ?? [];
      if (allowedHosts.length > 0) {
        await auth.authorize(t.access, "secret.bind", { type: "secret", name: safeName(name) });
      }
      return change(t, "secret.create", name, async (tx, actor) => {
        const now = nowIso();
        const by = actorLabel(actor);
        const row: SecretRow = {
          id: newId(),
          org_id: t.access.org.id,
          project_id: t.project?.id ?? null,
          name,
          name_key: nameKey(name),
          type: input.type,
          visibility: input.visibility ?? "restricted",
          description: input.description ?? "",
          current_version: 1,
          archived: 0,
          created_at: now,
          created_by: by,
          updated_at: now,
          updated_by: by,
          last_accessed_at: null,
          last_accessed_by: null,
          allowed_hosts: JSON.stringify(allowedHosts),
        };
        await tx.insertInto("secrets").values(row).execute();
        await writeVersion(tx, row, 1, serialized, by);
        if (t.project) {
          const shared = await q.findInScope(tx, { orgId: row.org_id, projectId: null }, row.name_key);
          if (shared) await q.repointProjectConsumers(tx, t.project.id, shared.id, row.id);
        }
        return {
          result: await one(tx, row),
          secretId: row.id,
          details: {
            type: row.type,
            visibility: row.visibility,
            version: 1,
            ...(allowedHosts.length > 0 ? { allowedHosts } : {}),
          },
        };
      });
    },

    async updateValue(t, name, input) {
      return change(t, "secret.update", name, async (tx, actor) => {
        const row = await findExact(tx, t, name);
        const { serialized } = parseValue(row.type, input.value);
        if (input.expectedVersion !== undefined && input.expectedVersion !== row.current_version) {
          throw versionConflict(row.current_version);
        }
        const next = await bump(tx, row, actor);
        await writeVersion(tx, row, next.current_version, serialized, next.updated_by);
        await q.pruneVersions(tx, row.id, next.current_version, t.access.org.versionsKept);
        return { result: await one(tx, next), secretId: row.id, details: { version: next.current_version } };
      });
    },

    async updateMetadata(t, name, patch) {
      const binding = patch.allowedHosts !== undefined;
      if (binding) await auth.authorize(t.access, "secret.bind", { type: "secret", name: safeName(name) });
      return change(t, binding ? "secret.bind" : "secret.describe", name, async (tx, actor) => {
        const row = await findExact(tx, t, name);
        const updated = {
          ...row,
          description: patch.description ?? row.description,
          allowed_hosts: binding ? JSON.stringify(patch.allowedHosts) : row.allowed_hosts,
          updated_at: nowIso(),
          updated_by: actorLabel(actor),
        };
        await tx
          .updateTable("secrets")
          .set({
            description: updated.description,
            allowed_hosts: updated.allowed_hosts,
            updated_at: updated.updated_at,
            updated_by: updated.updated_by,
          })
          .where("id", "=", row.id)
          .execute();
        const details = binding
          ? { allowedHosts: { from: parseAllowedHosts(row.allowed_hosts), to: patch.allowedHosts } }
          : undefined;
        return { result: await one(tx, updated), secretId: row.id, ...(details ? { details } : {}) };
      });
    },

    archive: (t, name) => setArchived(t, name, true),
    restore: (t, name) => setArchived(t, name, false),

    async remove(t, name) {
      return change(t, "secret.delete", name, async (tx) => {
        const row = await findExact(tx, t, name);
        const usedBy = (await q.usage(tx, [row.id])).get(row.id) ?? [];
        const shared =
          t.project && usedBy.length > 0
            ? await q.findInScope(tx, { orgId: row.org_id, projectId: null }, row.name_key)
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
        // S6: the ciphertexts go with the row (SQLite runs with secure_delete, so the pages are zeroed).
        await tx.deleteFrom("secret_versions").where("secret_id", "=", row.id).execute();
        await tx.deleteFrom("secrets").where("id", "=", row.id).execute();
        forgetSecret(row.id);
        return {
          result: { fallback: shared ? ("org" as const) : null },
          secretId: row.id,
          ...(shared ? { details: { fallback: "org", consumers: usedBy.length } } : {}),
        };
      });
    },

    async reveal(t, name) {
      await auth.authorize(t.access, "secret.reveal", { type: "secret", name: safeName(name) });
      const row = await findEffective(store.db, t, name);
      const target = { type: "secret", id: row.id, name: row.name };
      if (row.visibility !== "masked") {
        await audit.appendNow({
          orgId: t.access.org.id,
          actor: t.access.actor,
          action: "secret.reveal",
          target,
          outcome: "denied",
          sourceIp: t.access.ctx.sourceIp,
          details: { reason: "restricted" },
        });
        throw new AppError("forbidden", `secret ${row.name} is restricted: its value can never be read`);
      }
      // The audit entry commits with the read (A2): a reveal that cannot be audited returns nothing.
      return store.transaction(async (tx) => {
        const value = await decryptVersion(tx, row, row.current_version);
        await audit.append(tx, {
          orgId: t.access.org.id,
          actor: t.access.actor,
          action: "secret.reveal",
          target,
          outcome: "success",
          sourceIp: t.access.ctx.sourceIp,
          details: { version: row.current_version },
        });
        return { value };
      });
    },

    async versions(t, name) {
      await auth.authorize(t.access, "secret.read");
      const row = await findEffective(store.db, t, name);
      const rows = await q.versions(store.db, row.id);
      return rows.map((v) => ({
        version: v.version,
        createdAt: v.created_at,
        createdBy: v.created_by,
        current: v.version === row.current_version,
      }));
    },

    async rollback(t, name, version) {
      return change(t, "secret.rollback", name, async (tx, actor) => {
        const row = await findExact(tx, t, name);
        const old = await q.versionRow(tx, row.id, version);
        if (!old) throw new AppError("not_found", `version ${version} of ${row.name} is not kept`);
        const value = await decryptVersion(tx, row, version);
        const next = await bump(tx, row, actor);
        await writeVersion(tx, row, next.current_version, JSON.stringify(value), next.updated_by);
        await q.pruneVersions(tx, row.id, next.current_version, t.access.org.versionsKept);
        return {
          result: await one(tx, next),
          secretId: row.id,
          details: { fromVersion: version, version: next.current_version },
        };
      });
    },

    // ---- the runtime's resolver ----
    async resolveForRun(scope, names, consumer) {
      const view = freshView(scope.orgId, scope.projectId) ?? (await loadView(scope.orgId, scope.projectId));
      const out: Record<string, SecretValue> = Object.create(null);
      let allowedHosts: Record<string, readonly string[]> | undefined;
      const access = { at: nowIso(), by: JSON.stringify(consumer) };
      for (const name of names) {
        const row = view.effective.get(nameKey(name));
        if (!row) throw new RunError("secret_not_found", `secret ${safeName(name)} does not exist`);
        if (row.archived === 1) throw new RunError("secret_archived", `secret ${row.name} is archived`);
        // A decrypted value is normally cached: taken without an await (a turn of the microtask queue per
        // name, on every run).
        out[name] =
          values.get(valueKey(row.id, row.current_version)) ??
          (await decryptVersion(store.db, row, row.current_version));
        pendingAccess.set(row.id, access);
        if (row.allowed_hosts !== "[]") {
          allowedHosts ??= Object.create(null) as Record<string, readonly string[]>;
          allowedHosts[name] = parseAllowedHosts(row.allowed_hosts);
        }
      }
      return allowedHosts ? { values: out, allowedHosts } : { values: out };
    },

    async redactionValues(scope) {
      const view = freshView(scope.orgId, scope.projectId) ?? (await loadView(scope.orgId, scope.projectId));
      view.redaction ??= (async () => {
        const strings = new Set<string>();
        // A rotated-out value is often still valid where it was issued: the kept previous versions are
        // redacted too (decision 0132). Each version is decrypted once and cached like a current value.
        const kept = await q.keptVersions(
          store.db,
          view.live.map((row) => row.id),
        );
        for (const row of view.live) {
          const versions = kept.get(row.id) ?? [];
          if (!versions.includes(row.current_version)) versions.unshift(row.current_version);
          for (const version of versions) {
            const value = await decryptVersion(store.db, row, version).catch((error: unknown) => {
              // Pruned since the list was read: nothing left to leak.
              if (version !== row.current_version && error instanceof AppError) return undefined;
              throw error;
            });
            if (value !== undefined) for (const s of sensitiveStrings(value)) strings.add(s);
          }
        }
        return [...strings];
      })();
      return view.redaction;
    },

    async recordUndeclaredMatch(scope, matched, run) {
      if (matched.length === 0) return [];
      const view = freshView(scope.orgId, scope.projectId) ?? (await loadView(scope.orgId, scope.projectId));
      view.holders ??= (async () => {
        const map = new Map<string, SecretRow[]>();
        for (const row of view.live) {
          const value = await decryptVersion(store.db, row, row.current_version);
          for (const s of sensitiveStrings(value)) map.set(s, [...(map.get(s) ?? []), row]);
        }
        return map;
      })();
      const holders = await view.holders;
      const rows = new Map<string, SecretRow>();
      for (const s of matched) for (const row of holders.get(s) ?? []) rows.set(row.id, row);
      const at = nowIso();
      for (const row of rows.values()) {
        pendingAccess.set(row.id, { at, by: JSON.stringify(run.consumer) });
        await audit.appendNow({
          orgId: scope.orgId,
          actor: { type: "system", name: "runner" },
          action: "secret.access",
          target: { type: "secret", id: row.id, name: row.name },
          outcome: "success",
          details: {
            undeclared: true,
            consumer: run.consumer,
            event: run.eventId,
            logEntry: run.entryId,
          },
        });
      }
      return [...rows.values()].map((r) => r.name).sort();
    },

    async declared(tx, scope, names): Promise<DeclaredSecrets> {
      const keys = [...new Set(names.map(nameKey))];
      const rows = await q.listVisible(tx, scope, keys);
      const effective = new Map<string, SecretRow>();
      for (const row of rows) {
        if (!effective.has(row.name_key) || row.project_id !== null) effective.set(row.name_key, row);
      }
      const refs: DeclaredSecrets["refs"] = [];
      const missing: string[] = [];
      for (const name of names) {
        const row = effective.get(nameKey(name));
        if (row) refs.push({ name, secretId: row.id, visibility: row.visibility, type: row.type });
        else missing.push(name);
      }
      return { refs, missing };
    },

    flushAccess,

    async close() {
      clearInterval(flushTimer);
      await flushAccess().catch(() => {});
      if (ownNotifications) await notifications.close();
      values.clear();
      views.clear();
    },
  };

  async function setArchived(t: ScopeTarget, name: string, archived: boolean) {
    return change(t, archived ? "secret.archive" : "secret.restore", name, async (tx, actor) => {
      const row = await findExact(tx, t, name);
      const updated = {
        ...row,
        archived: archived ? 1 : 0,
        updated_at: nowIso(),
        updated_by: actorLabel(actor),
      };
      await tx
        .updateTable("secrets")
        .set({ archived: updated.archived, updated_at: updated.updated_at, updated_by: updated.updated_by })
        .where("id", "=", row.id)
        .execute();
      return { result: await one(tx, updated), secretId: row.id };
    });
  }

  /** Moves to the next version with a compare-and-set on the version, so concurrent writers cannot both win. */
  async function bump(tx: Tx, row: SecretRow, actor: Actor): Promise<SecretRow> {
    const next = {
      ...row,
      current_version: row.current_version + 1,
      updated_at: nowIso(),
      updated_by: actorLabel(actor),
    };
    const result = await tx
      .updateTable("secrets")
      .set({
        current_version: next.current_version,
        updated_at: next.updated_at,
        updated_by: next.updated_by,
      })
      .where("id", "=", row.id)
      .where("current_version", "=", row.current_version)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw versionConflict(row.current_version + 1);
    return next;
  }

  return service;
}

/**
 * Of an organization secret and the project secret that overrides it, the one a run uses: the project's,
 * unless it is archived (S7) and the organization's is there to fall back to.
 */
function runtimeWinner(a: SecretRow, b: SecretRow): SecretRow {
  const [project, org] = a.project_id !== null ? [a, b] : [b, a];
  return project.archived === 1 && org.archived === 0 ? org : project;
}

function versionConflict(current: number): AppError {
  return new AppError("version_conflict", `the secret changed meanwhile; its current version is ${current}`, {
    currentVersion: current,
  });
}

function parseConsumerRef(text: string | null): ConsumerRef | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as ConsumerRef;
    return { kind: v.kind, id: v.id, name: v.name };
  } catch {
    return null;
  }
}

/** Names reach messages only when they are plausible names (a path trick is not echoed verbatim). */
function safeName(name: string): string {
  return /^[A-Za-z0-9_-]{1,128}$/.test(name) ? name : "(invalid name)";
}
