/**
 * Tells every node that an organization's secrets changed (D2): a notice on `cloakroom_secrets`, sent inside
 * the changing transaction (store/notifications.ts), so it is delivered exactly when the change commits.
 * When notices may have been missed the cache resets everything; while this node is not listening it must
 * not serve cached views at all (`listening()`). SQLite has one node: the local drop is enough.
 */
import type { Tx } from "../store/db.js";
import type { Notifications } from "../store/notifications.js";

export const INVALIDATION_CHANNEL = "cloakroom_secrets";

export interface InvalidationBus {
  notify(tx: Tx, orgId: string): Promise<void>;
  /** False while notices from other nodes may be missed: read through, cache nothing. */
  listening(): boolean;
}

export function createInvalidationBus(deps: {
  notifications: Notifications;
  onInvalidate(orgId: string): void;
  onReset(): void;
}): InvalidationBus {
  const { notifications } = deps;
  notifications.subscribe(INVALIDATION_CHANNEL, (orgId) => deps.onInvalidate(orgId));
  notifications.onReset(() => deps.onReset());
  return {
    notify: (tx, orgId) => notifications.send(tx, INVALIDATION_CHANNEL, orgId),
    listening: () => notifications.listening(),
  };
}
