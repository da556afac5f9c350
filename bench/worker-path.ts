/**
 * For the benches that run an attempt as the worker does, over a test server's own database: a secrets
 * service of their own on that database (the server's root key, a silent logger, a minute's cache).
 */
import { pino } from "pino";
import { createAuditLog } from "../src/audit/service.js";
import { createAuthService } from "../src/auth/service.js";
import { loadRootKey } from "../src/crypto/index.js";
import { createKeyring } from "../src/secrets/keyring.js";
import { createSecretsService } from "../src/secrets/service.js";
import { TEST_AUDIT_KEY } from "../src/testing/audit.js";
import type { TestServer } from "../src/testing/server.js";

export async function secretsServiceOver(
  server: TestServer,
): Promise<ReturnType<typeof createSecretsService>> {
  const store = server.cloakroom.store;
  const { rootKey } = await loadRootKey({
    envValue: undefined,
    dataDir: server.config.dataDir,
    createIfMissing: false,
  });
  const audit = createAuditLog({ store, key: TEST_AUDIT_KEY });
  return createSecretsService({
    store,
    audit,
    auth: createAuthService({ store, audit }),
    keyring: createKeyring({ store, rootKey }),
    logger: pino({ level: "silent" }),
    cacheTtlMs: 60_000,
  });
}
