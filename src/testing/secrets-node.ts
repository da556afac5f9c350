/**
 * A second secrets service over a database a test server already uses: what another node of the cluster
 * runs, for the tests of cache invalidation and for the benches that run an attempt as the worker does.
 * It reads the server's root key from its data directory and audits with the test key; a silent logger
 * unless one is given.
 */
import { pino } from "pino";
import { createAuditLog } from "../audit/index.js";
import { type AuthService, createAuthService } from "../auth/index.js";
import { loadRootKey } from "../crypto/index.js";
import { createKeyring } from "../secrets/keyring.js";
import { createSecretsService, type SecretsService } from "../secrets/service.js";
import type { Notifications } from "../store/notifications.js";
import type { Store } from "../store/types.js";
import { TEST_AUDIT_KEY } from "./audit.js";

export async function secretsNode(options: {
  store: Store;
  /** The data directory holding the root key (the server's `config.dataDir`). */
  dataDir: string;
  cacheTtlMs: number;
  notifications?: Notifications;
  logger?: Parameters<typeof createSecretsService>[0]["logger"];
}): Promise<{ secrets: SecretsService; auth: AuthService }> {
  const { store } = options;
  const { rootKey } = await loadRootKey({
    envValue: undefined,
    dataDir: options.dataDir,
    createIfMissing: false,
  });
  const audit = createAuditLog({ store, key: TEST_AUDIT_KEY });
  const auth = createAuthService({ store, audit });
  const secrets = createSecretsService({
    store,
    audit,
    auth,
    keyring: createKeyring({ store, rootKey }),
    logger: options.logger ?? pino({ level: "silent" }),
    cacheTtlMs: options.cacheTtlMs,
    ...(options.notifications ? { notifications: options.notifications } : {}),
  });
  return { secrets, auth };
}
