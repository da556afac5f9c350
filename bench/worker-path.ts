/**
 * For the benches that run an attempt as the worker does, over a test server's own database: a secrets
 * service of their own on that database (the server's root key, a silent logger, a minute's cache).
 */
import type { createSecretsService } from "../src/secrets/service.js";
import { secretsNode } from "../src/testing/secrets-node.js";
import type { TestServer } from "../src/testing/server.js";

export async function secretsServiceOver(
  server: TestServer,
): Promise<ReturnType<typeof createSecretsService>> {
  const node = await secretsNode({
    store: server.cloakroom.store,
    dataDir: server.config.dataDir,
    cacheTtlMs: 60_000,
  });
  return node.secrets;
}
