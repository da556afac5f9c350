/**
 * The composition root: builds every service from its explicit dependencies and hands the routes to the
 * HTTP server. Nothing else in the code base constructs a service.
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import {
  anchorFilePath,
  auditRoutes,
  createAnchorer,
  createAuditLog,
  loadAuditKey,
  readAnchors,
  type VerifyResult,
  verifyAuditChain,
} from "./audit/index.js";
import { authRoutes, createAuthService, DEFAULT_SESSION_TTL_MS } from "./auth/index.js";
import { invitationRoutes } from "./auth/invitation-routes.js";
import { createInvitationService } from "./auth/invitations.js";
import { sessionIssuer } from "./auth/sessions.js";
import type { Config } from "./config.js";
import { hashPassword, loadRootKey } from "./crypto/index.js";
import { consolePlugin } from "./http/console.js";
import { createDenialRecorder } from "./http/denials.js";
import { createMetrics } from "./http/metrics.js";
import { createReadiness } from "./http/readiness.js";
import type { RouteDef } from "./http/route.js";
import { buildHttpServer } from "./http/server.js";
import { createSmtpMailer } from "./mail/smtp.js";
import { createRuntime } from "./runtime/index.js";
import { checkRootKey, createKeyring, hasKeyCheck } from "./secrets/keyring.js";
import { secretsRoutes } from "./secrets/routes.js";
import { createSecretsService } from "./secrets/service.js";
import { openStore, type Store } from "./store/db.js";
import { createNotifications } from "./store/notifications.js";
import { version } from "./version.js";

export interface Cloakroom {
  app: FastifyInstance;
  store: Store;
  config: Config;
  logger: Logger;
  /** `audit verify` with this node's audit key and anchor file, after anchoring what is committed now. */
  verifyAudit(): Promise<VerifyResult>;
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
    pg: config.db,
    listenUrl: config.listenDatabaseUrl,
    ...(options.pgSchema ? { pgSchema: options.pgSchema } : {}),
  });
  const notifications = createNotifications({ store, logger, options: config.listen });
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
    const auditKey = await loadAuditKey(store, loaded.rootKey);
    const anchorer = createAnchorer({
      store,
      key: auditKey,
      dataDir: config.dataDir,
      intervalMs: config.auditAnchorIntervalMs,
      webhookUrl: config.auditAnchorUrl,
      logger,
    });
    await anchorer.start();
    const audit = createAuditLog({ store, key: auditKey, onAppend: anchorer.markDirty });
    const auth = createAuthService({ store, audit, notifications, lookupTtlMs: config.cacheTtlMs });
    const mailer = config.smtp ? createSmtpMailer(config.smtp.target, config.smtp.from) : undefined;
    const invitations = createInvitationService({
      store,
      audit,
      issueSession: sessionIssuer(DEFAULT_SESSION_TTL_MS, Date.now),
      hashPassword: (password) => hashPassword(password),
      ttlMs: config.invitationTtlHours * 60 * 60 * 1000,
      publicUrl: config.publicUrl,
      mailer,
      logger,
    });
    const denials = createDenialRecorder({
      append: (entry) => audit.appendNow(entry),
      onError: (error) =>
        logger.error({ err: { message: (error as Error).message } }, "denial summary not audited"),
    });
    const secrets = createSecretsService({
      store,
      audit,
      auth,
      keyring,
      cacheTtlMs: config.cacheTtlMs,
      logger,
      notifications,
    });
    const runtime = await createRuntime({
      store,
      audit,
      auth,
      secrets,
      config,
      logger,
      metrics,
      notifications,
    });
    notifications.start();

    const routes: RouteDef[] = [
      ...authRoutes(auth),
      ...invitationRoutes({ auth, invitations }),
      ...auditRoutes({
        audit,
        auth,
        verify: async (chains) => {
          const anchors = await readAnchors(anchorFilePath(config.dataDir), auditKey);
          return verifyAuditChain(store, { key: auditKey, anchors: anchors?.latest, only: chains });
        },
      }),
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
      recordDenied: (ctx, request, reason) => denials.record(ctx, request, reason),
      ready: createReadiness({
        ping: () => store.db.selectFrom("meta").select("key").limit(1).execute(),
        worker: () => runtime.health(),
      }),
    });

    let closed = false;
    return {
      app,
      store,
      config,
      logger,
      async verifyAudit() {
        await anchorer.flush({ sweep: true });
        const anchors = await readAnchors(anchorFilePath(config.dataDir), auditKey);
        return verifyAuditChain(store, { key: auditKey, anchors: anchors?.latest });
      },
      async listen() {
        const url = await app.listen({ host: config.host, port: config.port });
        // Runs only once this node hears other nodes' changes: until then it could not trust a cache.
        void notifications.ready.then(() => {
          if (!closed) runtime.start();
        });
        return url;
      },
      async close() {
        if (closed) return;
        closed = true;
        await app.close();
        await runtime.stop();
        await denials.close();
        mailer?.close();
        await secrets.close();
        await anchorer.stop();
        await notifications.close();
        await store.close();
      },
    };
  } catch (error) {
    await notifications.close();
    await store.close();
    throw error;
  }
}
