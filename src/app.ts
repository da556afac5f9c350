/**
 * The composition root: builds every service from its explicit dependencies and hands the routes to the
 * HTTP server. Nothing else in the code base constructs a service.
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { createAppActions, createApps } from "./apps/index.js";
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
import type { AuditLog } from "./audit/types.js";
import { authRoutes, createAuthService, DEFAULT_SESSION_TTL_MS } from "./auth/index.js";
import { invitationRoutes } from "./auth/invitation-routes.js";
import { createInvitationService } from "./auth/invitations.js";
import type { AuthService } from "./auth/service.js";
import { sessionIssuer } from "./auth/sessions.js";
import type { Config } from "./config.js";
import { consumerRecords } from "./consumers/records.js";
import { consumersRoutes } from "./consumers/routes.js";
import type { ConsumerKind } from "./consumers/schema.js";
import { createConsumersService } from "./consumers/service.js";
import { hashPassword, loadRootKey } from "./crypto/index.js";
import { consolePlugin } from "./http/console.js";
import { createDenialRecorder } from "./http/denials.js";
import type { Metrics } from "./http/metrics.js";
import { createMetrics } from "./http/metrics.js";
import { createReadiness } from "./http/readiness.js";
import type { RouteDef } from "./http/route.js";
import { buildHttpServer } from "./http/server.js";
import { createMailChannel } from "./mail/channel.js";
import { createSmtpMailer } from "./mail/smtp.js";
import type { AppActions } from "./runtime/flows/app-actions.js";
import { createFlowRunner } from "./runtime/flows/run.js";
import { createEntryRedaction } from "./runtime/runner/entry-redaction.js";
import { createExecutor } from "./runtime/runner/execute.js";
import { createOrgRateLimit } from "./runtime/runner/rate-limit.js";
import { createRedactorCache } from "./runtime/runner/redactors.js";
import { createRetention } from "./runtime/runner/retention.js";
import { runnerRoutes } from "./runtime/runner/routes.js";
import { createRunnerService, RUNS_CHANNEL } from "./runtime/runner/service.js";
import { createSupervisedWorker } from "./runtime/runner/supervisor.js";
import type { WorkerHealth } from "./runtime/runner/worker.js";
import { createSandboxPool, referencedSecretNames as logicSecretNames } from "./runtime/sandbox/index.js";
import { templatesRoutes } from "./runtime/templates/routes.js";
import { createTemplateSender } from "./runtime/templates/send.js";
import { createTemplatesService } from "./runtime/templates/service.js";
import { createWebhookClient } from "./runtime/webhook/index.js";
import { checkRootKey, createKeyring, hasKeyCheck } from "./secrets/keyring.js";
import { installListText } from "./secrets/list-text.js";
import { secretsRoutes } from "./secrets/routes.js";
import { createSecretsService, type SecretsService } from "./secrets/service.js";
import type { SecretResolver } from "./secrets/types.js";
import { openStore, type Store } from "./store/db.js";
import { createNotifications, type Notifications } from "./store/notifications.js";
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
    return await assemble({ config, logger, store, notifications });
  } catch (error) {
    await notifications.close();
    await store.close();
    throw error;
  }
}

interface Base {
  config: Config;
  logger: Logger;
  store: Store;
  notifications: Notifications;
}

/** Every service of one node, over an open store; the caller closes the store when this throws. */
async function assemble(base: Base): Promise<Cloakroom> {
  const { config, logger, store, notifications } = base;
  const listTriggers = await installListText(store).catch((error: unknown) => {
    // Pages are then written in JS, as on PostgreSQL: slower, the same answers.
    logger.warn({ err: { message: (error as Error).message } }, "list text not installed (decision 0340)");
    return undefined;
  });
  const { auditKey, keyring } = await openKeys(base);
  const anchorer = createAnchorer({
    store,
    key: auditKey,
    dataDir: config.dataDir,
    intervalMs: config.auditAnchorIntervalMs,
    webhookUrl: config.auditAnchorUrl,
    logger,
  });
  await anchorer.start();
  const metrics = createMetrics();
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
    listTriggers,
    listCacheChars: config.listCacheMb * 1024 * 1024,
  });
  const runtime = await createRuntime({ ...base, audit, auth, secrets, metrics });
  notifications.start();

  const verify = async (chains?: string[]) => {
    const anchors = await readAnchors(anchorFilePath(config.dataDir), auditKey);
    return verifyAuditChain(store, {
      key: auditKey,
      anchors: anchors?.latest,
      ...(chains ? { only: chains } : {}),
    });
  };
  const routes: RouteDef[] = [
    ...authRoutes(auth),
    ...invitationRoutes({ auth, invitations }),
    ...auditRoutes({ audit, auth, verify }),
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
      return verify();
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
      metrics.close();
      await runtime.stop();
      await denials.close();
      mailer?.close();
      await secrets.close();
      await anchorer.stop();
      await notifications.close();
      await store.close();
    },
  };
}

/** The root key (never a fresh one over existing data), the keyring of data keys and the audit key. */
async function openKeys({ config, logger, store }: Base) {
  // A database that already has data must never get a fresh key file: that would hide a lost key.
  const initialized = await hasKeyCheck(store);
  const loaded = await loadRootKey({
    envValue: config.rootKey,
    dataDir: config.dataDir,
    createIfMissing: !initialized,
  });
  for (const warning of loaded.warnings) logger.warn(warning);
  await checkRootKey(store, loaded.rootKey);
  const keyring = createKeyring({
    store,
    rootKey: loaded.rootKey,
    reloadRootKey: async () =>
      (await loadRootKey({ envValue: config.rootKey, dataDir: config.dataDir, createIfMissing: false }))
        .rootKey,
  });
  await keyring.preload();
  const auditKey = await loadAuditKey(store, loaded.rootKey);
  return { keyring, auditKey };
}

/** The runtime's parts (SPEC X1-X3, X6, X7): consumers, events, durable runs and their worker, run logs. */
interface Runtime {
  routes: RouteDef[];
  /** After the server listens and hears change notices. */
  start(): void;
  /** Before the database closes. */
  stop(): Promise<void>;
  /** The run worker's health, for readiness. */
  health(): WorkerHealth;
}

async function createRuntime(
  deps: Base & {
    audit: AuditLog;
    auth: AuthService;
    /** The runtime's resolver, and the list of names the Macro Manager offers. */
    secrets: SecretResolver & Pick<SecretsService, "list">;
    metrics: Metrics;
    /** App installations' actions, for flows' `app` steps (X8). */
    apps?: AppActions;
  },
): Promise<Runtime> {
  const { store, audit, auth, secrets, config, logger, metrics, notifications } = deps;
  const options = config.runner;
  // The pool also serves save-time syntax checks and on-demand runs, so a node that delivers nothing
  // (workers = 0) still gets one sandbox.
  // Each organization gets up to `workers` threads; `sandboxReserve` more keep room for the others.
  const sandbox = await createSandboxPool({
    size: Math.max(1, config.workers),
    reserve: config.sandboxReserve,
  });
  const webhook = createWebhookClient({ allowPrivate: config.allowPrivateTargets });
  const log = logger.child({ component: "runtime" });
  // App installations' actions (X8): the same webhook client and S12 check as integrations; flows' `app`
  // steps call them too. Tests may hand in their own.
  const appActions = createAppActions({ db: store.db, records: consumerRecords, secrets, webhook });
  const flowApps: AppActions = deps.apps ?? appActions;

  const consumers = createConsumersService({
    store,
    audit,
    auth,
    secrets,
    checkLogicSyntax: async (code) => sandbox.checkSyntax(code),
    logicSecretNames,
    allowPrivateTargets: config.allowPrivateTargets,
    ...(flowApps.exists ? { installationExists: flowApps.exists.bind(flowApps) } : {}),
  });
  const redactors = createRedactorCache();
  const templateSender = createTemplateSender({
    webhook,
    mail: createMailChannel({ allowPrivate: config.allowPrivateTargets }),
  });
  const flows = createFlowRunner({ sandbox, webhook, secrets, redactors, apps: flowApps });
  const executor = createExecutor({
    secrets,
    webhook,
    sandbox,
    templates: templateSender,
    redactors,
    flows,
    onUnexpected: (consumer, error) =>
      log.error(
        { consumerId: consumer.id, err: { type: (error as Error | null)?.name ?? typeof error } },
        "a run failed unexpectedly",
      ),
  });
  const onFinished = (kind: ConsumerKind | "installation", status: "success" | "failure") =>
    metrics.countRun(kind, status);
  const orgRate = createOrgRateLimit(config.orgRunRatePerMinute);
  const worker = createSupervisedWorker({ store, consumers, executor, options, logger, onFinished });
  const runner = createRunnerService({
    store,
    auth,
    consumers,
    executor,
    onPublished: (_runs, orgId) => worker.wake(orgId),
    onFinished,
    orgRate,
    logQuotaBytes: options.logQuotaBytes,
    notifications,
    needsHelp: (runs) => worker.room() < runs,
  });
  notifications.subscribe(RUNS_CHANNEL, () => worker.wake());
  const apps = createApps({
    store,
    audit,
    auth,
    secrets,
    records: consumerRecords,
    runLog: runner,
    actions: appActions,
    redactEntry: createEntryRedaction({ secrets, redactors }),
    allowPrivateTargets: config.allowPrivateTargets,
    orgRate,
    onFinished: (status) => onFinished("installation", status),
  });
  const templates = createTemplatesService({ store, auth, consumers, secrets, redactors });
  const retention = createRetention({ store, logger, retentionDays: options.retentionDays ?? 30 });

  let stopped = false;
  return {
    routes: [
      ...consumersRoutes({ consumers, auth }),
      ...runnerRoutes({ runner, auth }),
      ...templatesRoutes({ templates, runner, auth }),
      ...apps.routes,
    ],
    start() {
      worker.start();
      retention.start();
    },
    health: () => worker.health(),
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all([worker.stop(), retention.stop()]);
      await Promise.allSettled([sandbox.close(), webhook.close()]);
    },
  };
}
