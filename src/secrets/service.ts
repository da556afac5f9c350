/**
 * The secrets domain as one service: the management API (reads.ts, manage.ts: SPEC S1-S12, every change
 * audited in its own transaction, A2) over the run-time resolver (resolver.ts: S4, S7, X6, X7, and the
 * per-node caches every change drops on every node, D2).
 */
import type { Logger } from "pino";
import type { AuditLog } from "../audit/index.js";
import { orgAudited } from "../auth/audited.js";
import type { AuthService } from "../auth/index.js";
import type { Store } from "../store/db.js";
import type { Notifications } from "../store/notifications.js";
import type { Keyring } from "./keyring.js";
import { createListCache } from "./list-cache.js";
import {
  type CreateSecretInput,
  createSecret,
  removeSecret,
  rollback,
  setArchived,
  updateMetadata,
  updateValue,
} from "./manage.js";
import { type ListOptions, type ScopeTarget, secretReads } from "./reads.js";
import { createSecretResolver } from "./resolver.js";
import type { SecretMetadata, SecretResolver, SecretValue } from "./types.js";

export type { CreateSecretInput } from "./manage.js";
export type { ListOptions, ScopeTarget } from "./reads.js";

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
  /**
   * `installListText` ran and installed these triggers: SQLite pages are joined from each row's kept text
   * (decision 0340) and kept until they change (decision 0410).
   */
  listTriggers?: readonly string[] | undefined;
  /** How much page text may be kept (characters, about bytes); 0 keeps none. */
  listCacheChars?: number;
}

export interface SecretsService extends SecretResolver {
  /** One page in name order; `nextCursor` is null on the last page. */
  list(
    t: ScopeTarget,
    options: ListOptions,
  ): Promise<{ secrets: SecretMetadata[]; nextCursor: string | null }>;
  /** The same page for the HTTP answer: its JSON text where the database writes it (SQLite), else as `list`. */
  listAnswer(
    t: ScopeTarget,
    options: ListOptions,
  ): Promise<string | { secrets: SecretMetadata[]; nextCursor: string | null }>;
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

export function createSecretsService(deps: SecretsDeps): SecretsService {
  const { store, audit, auth, keyring } = deps;
  const runtime = createSecretResolver(deps);
  const p = {
    store,
    auth,
    audited: orgAudited({ store, audit }),
    runtime,
    keyring,
    listCache: deps.listTriggers ? createListCache(deps.listTriggers, deps.listCacheChars) : undefined,
  };
  return {
    ...secretReads(p),
    create: (t, input) => createSecret(p, t, input),
    updateValue: (t, name, input) => updateValue(p, t, name, input),
    updateMetadata: (t, name, patch) => updateMetadata(p, t, name, patch),
    archive: (t, name) => setArchived(p, t, name, true),
    restore: (t, name) => setArchived(p, t, name, false),
    remove: (t, name) => removeSecret(p, t, name),
    rollback: (t, name, version) => rollback(p, t, name, version),
    resolveForRun: runtime.resolveForRun,
    redactionValues: runtime.redactionValues,
    recordUndeclaredMatch: runtime.recordUndeclaredMatch,
    declared: runtime.declared,
    flushAccess: runtime.flushAccess,
    close: runtime.close,
  };
}
