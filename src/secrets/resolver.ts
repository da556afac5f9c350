/**
 * The run-time side of secrets (S4, S7, X6, X7): what a run resolves, what its log is redacted with, and
 * the accesses it makes. Reads go through this node's caches (views.ts, value-cache.ts), which every change
 * drops on every node when it commits (invalidation.ts, D2).
 */
import type { Logger } from "pino";
import type { AuditLog } from "../audit/types.js";
import { AppError, RunError } from "../errors.js";
import type { Store, Tx } from "../store/db.js";
import { nowIso } from "../store/ids.js";
import { createNotifications, type Notifications } from "../store/notifications.js";
import { type AccessFlusher, createAccessFlusher } from "./access-flusher.js";
import { createInvalidationBus } from "./invalidation.js";
import type { Keyring } from "./keyring.js";
import { nameKey } from "./names.js";
import type { SecretRecord } from "./store.js";
import * as q from "./store.js";
import { type DeclaredSecrets, type SecretResolver, type SecretValue, sensitiveStrings } from "./types.js";
import { createValueCache, type ValueCache } from "./value-cache.js";
import { createViewCache, type ScopeView } from "./views.js";

export interface ResolverDeps {
  store: Store;
  audit: Pick<AuditLog, "appendNow">;
  keyring: Keyring;
  logger: Logger;
  /** Backstop lifetime of a node's cached view of a scope (D2). */
  cacheTtlMs: number;
  /** How often coalesced last-accessed times are written (X7). */
  accessFlushMs?: number;
  /** This node's change notices (D2); one of its own, started here, when not given. */
  notifications?: Notifications;
}

/** The resolver, and what the management API shares with it. */
export interface RuntimeSecrets extends SecretResolver {
  values: ValueCache;
  /** Inside a changing transaction: every node drops the organization's views when it commits. */
  notify(tx: Tx, orgId: string): Promise<void>;
  /** After the change committed: this node drops them at once (a load in between read the old rows). */
  changed(orgId: string): void;
  flushAccess(): Promise<void>;
  close(): Promise<void>;
}

export function createSecretResolver(deps: ResolverDeps): RuntimeSecrets {
  const { store, audit } = deps;
  const ownNotifications = deps.notifications === undefined;
  const notifications = deps.notifications ?? createNotifications({ store, logger: deps.logger });
  const values = createValueCache({ keyring: deps.keyring });
  // The bus calls back into the views, which ask the bus whether this node listens: tied through `bus`.
  let listening = () => false;
  const views = createViewCache({
    ttlMs: deps.cacheTtlMs,
    listening: () => listening(),
    read: (scope) => q.listVisible(store.db, scope),
  });
  const bus = createInvalidationBus({
    notifications,
    onInvalidate: (orgId) => views.dropOrg(orgId),
    onReset: () => views.dropAll(),
  });
  listening = bus.listening;
  if (ownNotifications) notifications.start();
  const access: AccessFlusher = createAccessFlusher({
    write: (id, at, by) => q.noteAccess(store.db, id, at, by),
    intervalMs: deps.accessFlushMs ?? 5000,
    logger: deps.logger,
  });

  const viewOf = (scope: { orgId: string; projectId: string }) => views.fresh(scope) ?? views.get(scope);

  return {
    values,
    notify: (tx, orgId) => bus.notify(tx, orgId),
    changed: (orgId) => views.dropOrg(orgId),
    flushAccess: () => access.flush(),

    async resolveForRun(scope, names, consumer) {
      const view = views.fresh(scope) ?? (await views.get(scope));
      const out: Record<string, SecretValue> = Object.create(null);
      let allowedHosts: Record<string, readonly string[]> | undefined;
      const at = nowIso();
      const by = JSON.stringify(consumer);
      for (const name of names) {
        const row = view.effective.get(nameKey(name));
        if (!row) throw new RunError("secret_not_found", `secret ${safeName(name)} does not exist`);
        if (row.archived) throw new RunError("secret_archived", `secret ${row.name} is archived`);
        // A decrypted value is normally cached: taken without an await (a turn of the microtask queue per
        // name, on every run).
        out[name] =
          values.peek(row.id, row.currentVersion) ??
          (await values.decrypt(store.db, row, row.currentVersion));
        access.note(row.id, at, by);
        if (row.allowedHosts.length > 0) {
          allowedHosts ??= Object.create(null) as Record<string, readonly string[]>;
          allowedHosts[name] = row.allowedHosts;
        }
      }
      return allowedHosts ? { values: out, allowedHosts } : { values: out };
    },

    async redactionValues(scope) {
      const view = await viewOf(scope);
      view.redaction ??= redactionStrings(store.db, values, view);
      return view.redaction;
    },

    async recordUndeclaredMatch(scope, matched, run) {
      if (matched.length === 0) return [];
      const view = await viewOf(scope);
      view.holders ??= holdersOf(store.db, values, view);
      const holders = await view.holders;
      const rows = new Map<string, SecretRecord>();
      for (const s of matched) for (const row of holders.get(s) ?? []) rows.set(row.id, row);
      const at = nowIso();
      for (const row of rows.values()) {
        access.note(row.id, at, JSON.stringify(run.consumer));
        await audit.appendNow({
          orgId: scope.orgId,
          actor: { type: "system", name: "runner" },
          action: "secret.access",
          target: { type: "secret", id: row.id, name: row.name },
          outcome: "success",
          details: { undeclared: true, consumer: run.consumer, event: run.eventId, logEntry: run.entryId },
        });
      }
      return [...rows.values()].map((r) => r.name).sort();
    },

    async declared(tx, scope, names): Promise<DeclaredSecrets> {
      const rows = await q.listVisible(tx, scope, [...new Set(names.map(nameKey))]);
      const effective = new Map<string, SecretRecord>();
      for (const row of rows) {
        if (!effective.has(row.nameKey) || row.projectId !== null) effective.set(row.nameKey, row);
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

    async close() {
      await access.close();
      if (ownNotifications) await notifications.close();
      values.clear();
      views.clear();
    },
  };
}

/**
 * Every string to redact from a run of this view's scope: each live value, and those of its kept previous
 * versions, since a rotated-out value is often still valid where it was issued (decision 0132). Each
 * version is decrypted once and cached like a current value.
 */
async function redactionStrings(db: Tx, values: ValueCache, view: ScopeView): Promise<string[]> {
  const strings = new Set<string>();
  const kept = await q.keptVersions(
    db,
    view.live.map((row) => row.id),
  );
  for (const row of view.live) {
    const versions = kept.get(row.id) ?? [];
    if (!versions.includes(row.currentVersion)) versions.unshift(row.currentVersion);
    for (const version of versions) {
      const value = await values.decrypt(db, row, version).catch((error: unknown) => {
        // Pruned since the list was read: nothing left to leak.
        if (version !== row.currentVersion && error instanceof AppError) return undefined;
        throw error;
      });
      if (value !== undefined) for (const s of sensitiveStrings(value)) strings.add(s);
    }
  }
  return [...strings];
}

async function holdersOf(db: Tx, values: ValueCache, view: ScopeView): Promise<Map<string, SecretRecord[]>> {
  const map = new Map<string, SecretRecord[]>();
  for (const row of view.live) {
    const value = await values.decrypt(db, row, row.currentVersion);
    for (const s of sensitiveStrings(value)) map.set(s, [...(map.get(s) ?? []), row]);
  }
  return map;
}

/** Names reach messages only when they are plausible names (a path trick is not echoed verbatim). */
export function safeName(name: string): string {
  return /^[A-Za-z0-9_-]{1,128}$/.test(name) ? name : "(invalid name)";
}
