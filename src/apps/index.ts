/**
 * The app catalog and installations (SPEC X8), built by the runtime from explicit dependencies: the routes
 * here, and `createAppActions`, the `AppActions` that flows' `app` steps and the actions endpoint call.
 */
import type { AuditLog } from "../audit/types.js";
import type { ProjectAuth } from "../consumers/project.js";
import type { ConsumerRecords } from "../consumers/records.js";
import type { OrgAuth } from "../consumers/routes.js";
import type { RouteDef } from "../http/route.js";
import type { RedactEntry } from "../runtime/runner/entry-redaction.js";
import type { OrgRateLimit } from "../runtime/runner/rate-limit.js";
import type { RunLogEntry } from "../runtime/runner/schema.js";
import type { RunnerService } from "../runtime/runner/service.js";
import type { SecretResolver } from "../secrets/types.js";
import type { Store } from "../store/db.js";
import type { AppActionsRunner } from "./actions.js";
import { appsRoutes } from "./routes.js";
import { createActionRun } from "./run.js";
import { createInstallationsService } from "./service.js";

export type { AppActions, InvokeArgs } from "./actions.js";
export { createAppActions } from "./actions.js";

export interface AppsDeps {
  store: Store;
  audit: Pick<AuditLog, "append" | "appendNow">;
  auth: ProjectAuth & OrgAuth;
  secrets: Pick<SecretResolver, "declared">;
  /** The consumers domain's rows: an installation is one (X8). */
  records: ConsumerRecords;
  /** The runner's run log, where an action run on demand keeps its entry. */
  runLog: Pick<RunnerService, "keep">;
  /** From `createAppActions`: built first, since flows' `app` steps need it too. */
  actions: Pick<AppActionsRunner, "perform">;
  /** The runtime's run-log redaction (X6): the scope's live values and the run's, then the entry's bounds. */
  redactEntry: RedactEntry;
  allowPrivateTargets: boolean;
  orgRate?: OrgRateLimit;
  onFinished?(status: RunLogEntry["status"]): void;
}

/** The routes of the catalog, installations and actions run on demand. */
export function createApps(deps: AppsDeps): { routes: RouteDef[] } {
  const installations = createInstallationsService({
    store: deps.store,
    audit: deps.audit,
    auth: deps.auth,
    secrets: deps.secrets,
    records: deps.records,
    allowPrivateTargets: deps.allowPrivateTargets,
  });
  const runAction = createActionRun({
    store: deps.store,
    auth: deps.auth,
    records: deps.records,
    runLog: deps.runLog,
    actions: deps.actions,
    redactEntry: deps.redactEntry,
    ...(deps.orgRate ? { orgRate: deps.orgRate } : {}),
    ...(deps.onFinished ? { onFinished: deps.onFinished } : {}),
  });
  return { routes: appsRoutes({ installations, runAction, auth: deps.auth }) };
}
