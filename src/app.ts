/**
 * The composition root: builds every service from its explicit dependencies and hands the routes to the
 * HTTP server. Nothing else in the code base constructs a service.
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { auditRoutes, createAuditLog } from "./audit/index.js";
import { authRoutes, createAuthService } from "./auth/index.js";
import type { Config } from "./config.js";
import { loadRootKey } from "./crypto/index.js";
import { consolePlugin } from "./http/console.js";
import { createMetrics } from "./http/metrics.js";
import type { RouteDef } from "./http/route.js";
import { buildHttpServer } from "./http/server.js";
import { createRuntime } from "./runtime/index.js";
import { checkRootKey, createKeyring, hasKeyCheck } from "./secrets/keyring.js";
import { secretsRoutes } from "./secrets/routes.js";
import { createSecretsService } from "./secrets/service.js";
import { openStore, type Store } from "./store/db.js";
import { version } from "./version.js";

export interface Cloakroom {
  app: FastifyInstance;
  store: Store;
  config: Config;
  logger: Logger;
  /** Starts listening; resolves to the base URL. */
  listen(): Promise<string>;
  /** Stops taking requests, finishes or releases runs in flight, closes the database. */
  close(): Promise<void>;
}

export interface CreateOptions {
  logger: Logger;
  /** PostgreSQL schema (tests); production uses the URL's default search_path. */
  pgSchema?: string;
}

export async function createCloakroom(config: Config, options: CreateOptions): Promise<Cloakroom> {
  const { logger } = options;
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    ...(options.pgSchema ? { pgSchema: options.pgSchema } : {}),
  });
  try {
    // A database that already has data must never get a fresh key file: that would hide a lost key.
    const initialized = await hasKeyCheck(store);
    const loaded = await loadRootKey({
      envValue: config.rootKey,
      dataDir: config.dataDir,
      createIfMissing: !initialized,
    });
    for (const warning of loaded.warnings) logger.warn(warning);
    await checkRootKey(store, loaded.rootKey);

    const metrics = createMetrics();
    const keyring = createKeyring({
      store,
      rootKey: loaded.rootKey,
      reloadRootKey: async () =>
        (await loadRootKey({ envValue: config.rootKey, dataDir: config.dataDir, createIfMissing: false }))
          .rootKey,
    });
    await keyring.preload();
    const audit = createAuditLog({ store });
    const auth = createAuthService({ store, audit });
    const secrets = createSecretsService({
      store,
      audit,
      auth,
      keyring,
      cacheTtlMs: config.cacheTtlMs,
      logger,
    });
    const runtime = await createRuntime({ store, audit, auth, secrets, config, logger, metrics });

    const routes: RouteDef[] = [
      ...authRoutes(auth),
      ...auditRoutes({ audit, auth, store }),
      ...secretsRoutes({ secrets, auth }),
      ...runtime.routes,
    ];
    const app = await buildHttpServer({
      logger,
      routes,
      metrics,
      version,
      trustProxy: config.trustProxy,
      plugins: [consolePlugin()],
      authenticate: (request) =>
        auth.authenticate({ authorization: request.headers.authorization, cookie: request.headers.cookie }),
      recordDenied: (ctx, action, reason) =>
        audit.appendNow({
          orgId: null,
          actor: ctx.actor,
          action,
          outcome: "denied",
          sourceIp: ctx.sourceIp,
          details: { reason },
        }),
      ready: async () => {
        await store.db.selectFrom("meta").select("key").limit(1).execute();
        return true;
      },
    });

    let closed = false;
    return {
      app,
      store,
      config,
      logger,
      async listen() {
        const url = await app.listen({ host: config.host, port: config.port });
        runtime.start();
        return url;
      },
      async close() {
        if (closed) return;
        closed = true;
        await app.close();
        await runtime.stop();
        await secrets.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
