/**
 * The runtime (SPEC X1-X3, X6, X7): consumers, events, durable runs and their worker, run logs. Built by
 * the composition root from explicit dependencies; `start()` after the server listens, `stop()` before the
 * database closes.
 */
import type { Logger } from "pino";
import { createAppActions, createApps } from "../apps/index.js";
import type { AuditLog } from "../audit/types.js";
import type { AuthService } from "../auth/service.js";
import type { Config } from "../config.js";
import { consumersRoutes } from "../consumers/routes.js";
import type { ConsumerKind } from "../consumers/schema.js";
import { createConsumersService } from "../consumers/service.js";
import type { Metrics } from "../http/metrics.js";
import type { RouteDef } from "../http/route.js";
import { createMailChannel } from "../mail/channel.js";
import type { SecretsService } from "../secrets/service.js";
import type { SecretResolver } from "../secrets/types.js";
import type { Store } from "../store/db.js";
import type { Notifications } from "../store/notifications.js";
import type { AppActions } from "./flows/app-actions.js";
import { createFlowRunner } from "./flows/run.js";
import { createEntryRedaction } from "./runner/entry-redaction.js";
import { createExecutor } from "./runner/execute.js";
import type { RunnerOptions } from "./runner/options.js";
import { createOrgRateLimit } from "./runner/rate-limit.js";
import { createRedactorCache } from "./runner/redactors.js";
import { createRetention } from "./runner/retention.js";
import { runnerRoutes } from "./runner/routes.js";
import { createRunnerService, RUNS_CHANNEL } from "./runner/service.js";
import { createSupervisedWorker } from "./runner/supervisor.js";
import type { WorkerHealth } from "./runner/worker.js";
import { createSandboxPool, referencedSecretNames as logicSecretNames } from "./sandbox/index.js";
import { templatesRoutes } from "./templates/routes.js";
import { createTemplateSender } from "./templates/send.js";
import { createTemplatesService } from "./templates/service.js";
import { createWebhookClient } from "./webhook/index.js";

export interface Runtime {
  routes: RouteDef[];
  start(): void;
  stop(): Promise<void>;
  /** The run worker's health, for readiness. */
  health(): WorkerHealth;
}

export interface RuntimeDeps {
  store: Store;
  audit: AuditLog;
  auth: AuthService;
  /** The runtime's resolver, and the list of names the Macro Manager offers. */
  secrets: SecretResolver & Pick<SecretsService, "list">;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Change notices: new runs published on any node wake this node's worker (D2). */
  notifications?: Notifications;
  /** App installations' actions, for flows' `app` steps (X8). */
  apps?: AppActions;
  /** Overrides of the worker tuning in `config.runner` (tests). */
  runner?: Partial<RunnerOptions>;
}

export async function createRuntime(deps: RuntimeDeps): Promise<Runtime> {
  const { store, audit, auth, secrets, config, logger, metrics } = deps;
  const options: RunnerOptions = { ...config.runner, ...deps.runner };

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
  // steps call them too.
  const appActions = createAppActions({ db: store.db, secrets, webhook });
  // Tests may hand in their own; flows' app steps and save-time checks use the same object.
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
    metrics.runs.labels(kind, status).inc();
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
    ...(deps.notifications ? { notifications: deps.notifications } : {}),
    needsHelp: (runs) => worker.room() < runs,
  });
  deps.notifications?.subscribe(RUNS_CHANNEL, () => worker.wake());

  const apps = createApps({
    store,
    audit,
    auth,
    secrets,
    actions: appActions,
    redactEntry: createEntryRedaction({ secrets, redactors }),
    allowPrivateTargets: config.allowPrivateTargets,
    orgRate,
    ...(options.logQuotaBytes !== undefined ? { logQuotaBytes: options.logQuotaBytes } : {}),
    onFinished: (status) => onFinished("installation", status),
  });

  const retention = createRetention({ store, logger, retentionDays: options.retentionDays ?? 30 });

  let stopped = false;
  return {
    routes: [
      ...consumersRoutes({ consumers, auth }),
      ...runnerRoutes({ runner, auth }),
      ...templatesRoutes({
        templates: createTemplatesService({ store, auth, consumers, secrets, redactors }),
        runner,
        auth,
      }),
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
