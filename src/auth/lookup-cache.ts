/**
 * A node's short-lived cache of the rows every request reads before any work (issue 8 item 7): the API
 * token or the session by its hash, the organization by slug, the caller's role in it, the project by
 * slug. On PostgreSQL each was a statement and a commit of its own on every request; on SQLite the session
 * and the role were 7% of a list request's CPU (decision 0325). A revoked token, an ended session, a
 * changed role or changed settings must be seen by every node at once (D2), so each change that touches
 * these rows sends a notice on `cloakroom_auth` in its transaction and every node drops, when it commits,
 * the entry the notice names (a sign-out, a role change) or else the whole cache; a node that is not
 * listening caches nothing (store/notifications.ts), and entries live at most `ttlMs` anyway. Misses are
 * never cached. See docs/decisions/0153-publish-cost.md.
 */
import type { Tx } from "../store/db.js";
import type { Notifications } from "../store/notifications.js";

export const AUTH_CHANNEL = "cloakroom_auth";

/** The keys of the rows one change touches, so a notice can name them (the others stay cached). */
export const sessionKey = (tokenHash: string) => `s:${tokenHash}`;
export const roleKey = (orgId: string, userId: string) => `r:${orgId}/${userId}`;

export interface AuthLookupCache {
  /** The cached row, or `load()`'s answer, cached when nothing changed meanwhile. */
  get<T>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined>;
  /**
   * In the changing transaction: every node (this one too) drops `key`'s entry, or everything without a
   * key, when it commits. A sign-out names its session, so no caller can empty every node's cache at will.
   */
  changed(tx: Tx, key?: string): Promise<void>;
  /** Drops `key`'s entry (everything without one) here; the changing service calls it again after commit. */
  drop(key?: string): void;
}

export function createAuthLookupCache(deps: {
  notifications?: Notifications | undefined;
  ttlMs: number;
  now?: () => number;
}): AuthLookupCache {
  const { notifications } = deps;
  const now = deps.now ?? Date.now;
  const entries = new Map<string, { value: unknown; expiresAt: number }>();
  let generation = 0;
  // Any drop, of one key or all, keeps every lookup in flight from being cached: it may have read the row
  // before the change committed.
  const drop = (key?: string) => {
    generation += 1;
    if (key) entries.delete(key);
    else entries.clear();
  };
  notifications?.subscribe(AUTH_CHANNEL, (payload) => drop(payload || undefined));
  notifications?.onReset(() => drop());
  // Without notices (a service built alone, in tests and benches) nothing is cached: no node could be told.
  const usable = () => notifications !== undefined && deps.ttlMs > 0 && notifications.listening();
  const MAX = 10_000;

  return {
    async get<T>(key: string, load: () => Promise<T | undefined>) {
      const hit = entries.get(key);
      if (hit && hit.expiresAt > now() && usable()) return hit.value as T;
      const before = generation;
      const value = await load();
      if (value !== undefined && generation === before && usable()) {
        if (entries.size >= MAX) entries.delete(entries.keys().next().value as string);
        entries.set(key, { value, expiresAt: now() + deps.ttlMs });
      }
      return value;
    },
    async changed(tx, key) {
      drop(key);
      await notifications?.send(tx, AUTH_CHANNEL, key ?? "");
    },
    drop,
  };
}
