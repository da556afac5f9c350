/**
 * Running an installation's action (SPEC X8): the installation's declared secrets are resolved as its own
 * run (last accessed names the installation, X7), the app module describes the request, S12's destination
 * check sees it as it will be sent, and the webhook client delivers it (SSRF guard after DNS, no redirects,
 * timeout: X2). Flows call this through `AppActions` (the `app` step); the actions endpoint through
 * `perform`, which also hands back what the run-log entry needs. Nothing here is redacted: callers redact.
 */
import type { ConsumerRecords } from "../consumers/records.js";
import { RunError } from "../errors.js";
import { SENSITIVE } from "../redaction/index.js";
import type { AppActions } from "../runtime/flows/app-actions.js";
import { type BoundSecret, createDestinationCheck } from "../runtime/runner/destination.js";
import { DELIVERY_HEADER, type Deliverer } from "../runtime/runner/execute.js";
import { DEFAULT_TIMEOUT_MS, type RenderedRequest } from "../runtime/webhook/index.js";
import type { SecretResolver, SecretValue } from "../secrets/types.js";
import type { Tx } from "../store/db.js";
import { newId } from "../store/ids.js";
import { findApp } from "./catalog/index.js";
import { configValues } from "./config-values.js";
import { checkInput, safe } from "./fns.js";
import { buildRequest, parseBody } from "./request.js";
import { installationConfigOf } from "./schema.js";
import { ActionFailed, type ActionRequest, type ActionResponse, type AppAction } from "./types.js";

export type { AppActions } from "../runtime/flows/app-actions.js";
export type InvokeArgs = Parameters<AppActions["invoke"]>[0];

/** One performed action, with what a run-log entry of it needs (unredacted: the caller redacts). */
export interface Performed {
  installation: { id: string; name: string };
  /** The secrets this run resolved, to redact with (they may have changed since the scope's list was read). */
  values: Record<string, SecretValue>;
  request?: RenderedRequest;
  /** The raw answer (body as text) when one came. */
  response?: { status: number; headers: Record<string, string>; body: string };
  outcome:
    | { ok: true; request: RenderedRequest; parsed: ActionResponse; output: unknown }
    | { ok: false; error: RunError };
}

export interface AppActionsDeps {
  db: Tx;
  /** The consumers domain's rows: an installation is one (X8). */
  records: Pick<ConsumerRecords, "findByName" | "declaredNames">;
  secrets: Pick<SecretResolver, "resolveForRun">;
  webhook: Deliverer;
}

export interface AppActionsRunner extends Required<AppActions> {
  /** Like `invoke`, but a failure is part of the answer (with the request and response when there were any). */
  perform(args: InvokeArgs): Promise<Performed>;
}

type Trace = Pick<Performed, "values" | "request" | "response">;

export function createAppActions(deps: AppActionsDeps): AppActionsRunner {
  const checkDestination = createDestinationCheck();
  const find = (projectId: string, name: string) =>
    deps.records.findByName(deps.db, { projectId, kind: "installation", name });
  const locate = createLocator(find);
  const resolve = createResolver(deps.secrets);

  /** Every step of one action, filling `trace` as it goes; a step that fails throws its RunError. */
  async function run(args: InvokeArgs, located: Located, trace: Trace): Promise<Performed["outcome"]> {
    const { row, stored, app, action } = located;
    const names = (await deps.records.declaredNames(deps.db, [row.id])).get(row.id) ?? [];
    const { values, bound } = await resolve(args, { id: row.id, name: row.name }, names);
    trace.values = values;
    const config = configValues(app, stored.config, values);
    const base = stored.baseUrl ?? app.defaultBaseUrl(config);
    if (base === null) throw new RunError("invalid_url", "the installation has no base URL");
    const described = describe(action, config, args.input);
    const request = buildRequest(base, described);
    const deliveryId = newId();
    trace.request = shown(request, described, deliveryId);
    // S12, on the request as the client sends it, before it connects.
    checkDestination(request, bound);
    const timeoutMs = stored.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const result = await deps.webhook.deliver(request, { timeoutMs, deliveryId });
    return answer(result, action, trace);
  }

  async function perform(args: InvokeArgs): Promise<Performed> {
    const located = await locate(args);
    const trace: Trace = { values: {} };
    let outcome: Performed["outcome"];
    try {
      outcome = await run(args, located, trace);
    } catch (error) {
      if (!(error instanceof RunError)) throw error;
      outcome = { ok: false, error };
    }
    return { installation: { id: located.row.id, name: located.row.name }, ...trace, outcome };
  }

  return {
    perform,
    async invoke(args) {
      const { outcome } = await perform(args);
      if (!outcome.ok) throw outcome.error;
      return { request: outcome.request, response: outcome.parsed, output: outcome.output };
    },
    exists: async (projectId, installation) => (await find(projectId, installation)) !== undefined,
  };
}

type Located = Awaited<ReturnType<ReturnType<typeof createLocator>>>;

/** The installation, its app and the action, or the RunError a flow's step fails with. */
function createLocator(find: (projectId: string, name: string) => ReturnType<ConsumerRecords["findByName"]>) {
  return async (args: InvokeArgs) => {
    const row = await find(args.projectId, args.installation);
    if (!row) {
      throw new RunError(
        "installation_not_found",
        `no installation ${safe(args.installation)} in the project`,
      );
    }
    const stored = installationConfigOf(row);
    const app = findApp(stored.app);
    if (!app)
      throw new RunError("app_not_found", `the installation's app ${safe(stored.app)} is not in the catalog`);
    const action = app.actions.find((a) => a.id === args.action);
    if (!action) {
      throw new RunError(
        "action_not_found",
        `${app.id} has no action ${safe(args.action)} (${app.actions.map((a) => a.id).join(", ")})`,
      );
    }
    const bad = checkInput(action, args.input);
    if (bad.length > 0) {
      const fields = bad.map((p) => `${p.field.replace(/^body\./, "")} ${p.message}`).join("; ");
      throw new RunError("invalid_input", `the action's input is invalid: ${fields}`);
    }
    return { row, stored, app, action };
  };
}

/** The installation's declared secrets, resolved as its own run (X7), and those bound to hosts (S12). */
function createResolver(secrets: AppActionsDeps["secrets"]) {
  return async (
    args: InvokeArgs,
    consumer: { id: string; name: string },
    names: string[],
  ): Promise<{ values: Record<string, SecretValue>; bound: BoundSecret[] }> => {
    if (names.length === 0) return { values: {}, bound: [] };
    try {
      const { values, allowedHosts } = await secrets.resolveForRun(
        { orgId: args.orgId, projectId: args.projectId },
        names,
        { kind: "installation", ...consumer },
      );
      const bound: BoundSecret[] = [];
      for (const [name, hosts] of Object.entries(allowedHosts ?? {})) {
        const value = values[name];
        if (hosts.length > 0 && value !== undefined) bound.push({ name, value, allowedHosts: hosts });
      }
      return { values, bound };
    } catch (error) {
      if (error instanceof RunError) throw error;
      throw new RunError("secrets_unavailable", "the installation's secrets could not be read", true);
    }
  };
}

/** The delivery's answer as the action's outcome: a failure, a non-2xx answer or an app's own refusal throws. */
function answer(
  result: Awaited<ReturnType<Deliverer["deliver"]>>,
  action: AppAction,
  trace: Trace,
): Performed["outcome"] {
  if (result.status !== undefined) {
    trace.response = { status: result.status, headers: result.headers ?? {}, body: result.body ?? "" };
  }
  if (!result.ok || result.error || !trace.response || !trace.request) {
    const error = result.error ?? {
      code: "http_status",
      message: `the service answered HTTP ${result.status ?? "(none)"}`,
    };
    throw new RunError(error.code, error.message, result.retryable);
  }
  const raw = trace.response;
  const parsed: ActionResponse = {
    status: raw.status,
    headers: raw.headers,
    body: parseBody(raw.headers, raw.body),
  };
  try {
    const output = action.result ? action.result(parsed) : parsed.body;
    return { ok: true, request: trace.request, parsed, output };
  } catch (error) {
    if (error instanceof ActionFailed) throw new RunError(error.code, error.message);
    throw error;
  }
}

/**
 * The request as logs show it. An Authorization header the action built is shown as its scheme alone:
 * basic auth encodes a literal user name with the secret (`email/token:<api_token>`), and the redactor,
 * which knows the secret but not that pairing, would leave the base64 of the user name and a few bits of
 * the secret beside its marker.
 */
function shown(request: RenderedRequest, described: ActionRequest, deliveryId: string): RenderedRequest {
  const headers: Record<string, string> = { ...request.headers, [DELIVERY_HEADER]: deliveryId };
  if (described.auth && "basic" in described.auth) headers.Authorization = `Basic ${SENSITIVE}`;
  if (described.auth && "bearer" in described.auth) headers.Authorization = `Bearer ${SENSITIVE}`;
  return { ...request, headers };
}

/** The action's request from the app module; a module that throws is a bug reported as the run's failure. */
function describe(action: AppAction, config: Record<string, string>, input: Record<string, string>) {
  try {
    return action.request({ config, input });
  } catch (error) {
    if (error instanceof RunError) throw error;
    throw new RunError("app_error", `the action ${action.id} could not build its request`);
  }
}
