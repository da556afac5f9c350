/**
 * Tells every node that an organization's secrets changed (D2). On PostgreSQL the notice is a NOTIFY sent
 * inside the changing transaction, so it is delivered exactly when the change commits; a node that loses
 * its listening connection drops all cached views. SQLite has one node: the local drop is enough.
 */

import { sql } from "kysely";
import type { Logger } from "pino";
import type { Store, Tx } from "../store/db.js";

export const INVALIDATION_CHANNEL = "cloakroom_secrets";

export interface InvalidationBus {
  notify(tx: Tx, orgId: string): Promise<void>;
  close(): Promise<void>;
}

export function createInvalidationBus(deps: {
  store: Store;
  logger: Logger;
  onInvalidate(orgId: string): void;
  onReset(): void;
}): InvalidationBus {
  const { store } = deps;
  if (store.dialect !== "postgres" || !store.listen) {
    return { notify: async () => {}, close: async () => {} };
  }
  const stop = store.listen(INVALIDATION_CHANNEL, {
    onMessage: (payload) => deps.onInvalidate(payload),
    onReset: () => {
      deps.logger.warn("change notices were interrupted; dropping cached secret views");
      deps.onReset();
    },
  });
  return {
    async notify(tx, orgId) {
      await sql`select pg_notify(${INVALIDATION_CHANNEL}, ${orgId})`.execute(tx);
    },
    close: () => stop(),
  };
}
