/**
 * `POST .../installations/{name}/actions/{action}`: runs an action now, once and without retries, like an
 * integration's test (decision 0114), and answers its run-log entry, redacted before it is stored or
 * returned (X6). The entry's consumer is the installation; its event is the action (name) and the input
 * (data).
 */
import { enterProject, type ProjectAuth, type ProjectRequest } from "../consumers/project.js";
import type { ConsumerRecords } from "../consumers/records.js";
import { AppError, RunError } from "../errors.js";
import type { RedactEntry } from "../runtime/runner/entry-redaction.js";
import type { OrgRateLimit } from "../runtime/runner/rate-limit.js";
import type { RunLogEntry } from "../runtime/runner/schema.js";
import type { RunnerService } from "../runtime/runner/service.js";
import type { Store } from "../store/db.js";
import { newId } from "../store/ids.js";
import type { AppActionsRunner, Performed } from "./actions.js";
import { findApp } from "./catalog/index.js";
import { checkInput, safe } from "./fns.js";
import { type ActionBody, installationConfigOf } from "./schema.js";

export interface ActionRunDeps {
  store: Store;
  auth: ProjectAuth;
  records: Pick<ConsumerRecords, "findByName">;
  /** The runner's run log: the entry is kept there under the organization's quota. */
  runLog: Pick<RunnerService, "keep">;
  actions: Pick<AppActionsRunner, "perform">;
  /** The runtime's run-log redaction (X6): the scope's live values and the run's, then the entry's bounds. */
  redactEntry: RedactEntry;
  /** Publishing and manual runs per organization (CLOAKROOM_ORG_RUN_RATE), shared with the runner's. */
  orgRate?: OrgRateLimit;
  onFinished?(status: RunLogEntry["status"]): void;
}

export type RunAction = (
  r: ProjectRequest,
  installation: string,
  action: string,
  body: ActionBody,
) => Promise<RunLogEntry>;

export function createActionRun(deps: ActionRunDeps): RunAction {
  return async (r, name, actionId, body) => {
    const t = await enterProject(deps.auth, r, "consumer.run", { type: "installation", name });
    if (deps.orgRate && !deps.orgRate.take(t.access.org.id)) {
      throw new AppError(
        "rate_limited",
        "this organization publishes or runs too often; try again shortly (CLOAKROOM_ORG_RUN_RATE)",
      );
    }
    const where = { projectId: t.project.id, kind: "installation" as const, name };
    const row = await deps.records.findByName(deps.store.db, where);
    if (!row) throw new AppError("not_found", `no installation ${safe(name)} in project ${t.project.slug}`);
    const app = findApp(installationConfigOf(row).app);
    const action = app?.actions.find((a) => a.id === actionId);
    if (!app || !action) {
      throw new AppError("not_found", `${app?.id ?? "the app"} has no action ${safe(actionId)}`);
    }
    const problems = checkInput(action, body.input);
    if (problems.length > 0) {
      throw new AppError("invalid_request", `invalid ${problems.map((p) => p.field).join(", ")}`, {
        fields: problems,
      });
    }

    const scope = { orgId: t.access.org.id, projectId: t.project.id };
    const startedAt = new Date();
    const started = performance.now();
    let performed: Performed;
    try {
      performed = await deps.actions.perform({
        ...scope,
        installation: name,
        action: actionId,
        input: body.input,
        tenant: scope.orgId,
      });
    } catch (error) {
      // Deleted or changed between the checks above and the run.
      if (!(error instanceof RunError)) throw error;
      performed = { installation: { id: row.id, name }, values: {}, outcome: { ok: false, error } };
    }
    const { outcome } = performed;
    const entry: RunLogEntry = {
      id: newId(),
      consumer: { kind: "installation", id: row.id, name: row.name },
      event: { id: newId(), name: actionId, data: body.input, publishedAt: startedAt.toISOString() },
      status: outcome.ok ? "success" : "failure",
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(performance.now() - started),
      attempts: 1,
      ...(performed.request ? { request: performed.request } : {}),
      ...(performed.response ? { response: performed.response } : {}),
      ...(outcome.ok
        ? { output: outcome.output ?? null }
        : { error: { code: outcome.error.code, message: outcome.error.message } }),
    };
    const sealed = await deps.redactEntry(scope, entry, performed.values);
    await deps.runLog.keep(scope, sealed);
    deps.onFinished?.(sealed.status);
    return sealed;
  };
}
