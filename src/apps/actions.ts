/**
 * Running an installation's action (SPEC X8): the installation's declared secrets are resolved as its own
 * run (last accessed names the installation, X7), the app module describes the request, S12's destination
 * check sees it as it will be sent, and the webhook client delivers it (SSRF guard after DNS, no redirects,
 * timeout: X2). Flows call this through `AppActions` (the `app` step); the actions endpoint through
 * `perform`, which also hands back what the run-log entry needs. Nothing here is redacted: callers redact.
 */
import { declaredNames } from "../consumers/store.js";
import { RunError } from "../errors.js";
import { SENSITIVE } from "../redaction/index.js";
import { type BoundSecret, createDestinationCheck } from "../runtime/runner/destination.js";
import { DELIVERY_HEADER, type Deliverer } from "../runtime/runner/execute.js";
import { DEFAULT_TIMEOUT_MS, type RenderedRequest } from "../runtime/webhook/index.js";
import type { SecretResolver, SecretValue } from "../secrets/types.js";
import type { Tx } from "../store/db.js";
import { newId } from "../store/ids.js";
import { findApp } from "./catalog/index.js";
import { checkInput, safe, secretRefName } from "./fns.js";
import { buildRequest, parseBody } from "./request.js";
import type { ConfigValue } from "./schema.js";
import { findInstallationRow, parseInstallationConfig } from "./store.js";
import { ActionFailed, type ActionRequest, type ActionResponse, type AppAction } from "./types.js";

/** The interface the flows runner declares for `app` steps (src/runtime/flows/app-actions.ts), structurally. */
export interface AppActions {
  invoke(args: InvokeArgs): Promise<{
    request: { method: string; url: string; headers: Record<string, string>; body: string | null };
    response: ActionResponse;
    output: unknown;
  }>;
  exists(projectId: string, installation: string): Promise<boolean>;
}

export interface InvokeArgs {
  orgId: string;
  projectId: string;
  installation: string;
  action: string;
  input: Record<string, string>;
  /** The organization, for fair sharing; an action is one HTTP request and takes no sandbox thread. */
  tenant: string;
}

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
  secrets: Pick<SecretResolver, "resolveForRun">;
  webhook: Deliverer;
  timeoutMs?: number;
}

export interface AppActionsRunner extends AppActions {
  /** Like `invoke`, but a failure is part of the answer (with the request and response when there were any). */
  perform(args: InvokeArgs): Promise<Performed>;
}

export function createAppActions(deps: AppActionsDeps): AppActionsRunner {
  const checkDestination = createDestinationCheck();

  async function resolve(
    args: InvokeArgs,
    consumer: { id: string; name: string },
    names: string[],
  ): Promise<{ values: Record<string, SecretValue>; bound: BoundSecret[] }> {
    if (names.length === 0) return { values: {}, bound: [] };
    try {
      const { values, allowedHosts } = await deps.secrets.resolveForRun(
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
  }

  /** The installation, its app and the action, or the RunError a flow's step fails with. */
  async function locate(args: InvokeArgs) {
    const row = await findInstallationRow(deps.db, args.projectId, args.installation);
    if (!row) {
      throw new RunError(
        "installation_not_found",
        `no installation ${safe(args.installation)} in the project`,
      );
    }
    const stored = parseInstallationConfig(row);
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
  }

  async function perform(args: InvokeArgs): Promise<Performed> {
    const { row, stored, app, action } = await locate(args);
    const installation = { id: row.id, name: row.name };
    const names = (await declaredNames(deps.db, [row.id])).get(row.id) ?? [];
    // What happened so far, kept for the log whichever step fails.
    const trace: Pick<Performed, "values" | "request" | "response"> = { values: {} };
    let outcome: Performed["outcome"];
    try {
      const { values, bound } = await resolve(args, installation, names);
      trace.values = values;
      const config = configValues(stored.config, values);
      const base = stored.baseUrl ?? app.defaultBaseUrl(config);
      if (base === null) throw new RunError("invalid_url", "the installation has no base URL");
      const described = describe(action, config, args.input);
      const request = buildRequest(base, described);
      const deliveryId = newId();
      trace.request = shown(request, described, deliveryId);
      // S12, on the request as the client sends it, before it connects.
      checkDestination(request, bound);
      outcome = await deliver(request, deliveryId, action, trace);
    } catch (error) {
      if (!(error instanceof RunError)) throw error;
      outcome = { ok: false, error };
    }
    return { installation, ...trace, outcome };
  }

  async function deliver(
    request: RenderedRequest,
    deliveryId: string,
    action: AppAction,
    trace: Pick<Performed, "request" | "response">,
  ): Promise<Performed["outcome"]> {
    const result = await deps.webhook.deliver(request, {
      timeoutMs: deps.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      deliveryId,
    });
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

  return {
    perform,
    async invoke(args) {
      const { outcome } = await perform(args);
      if (!outcome.ok) throw outcome.error;
      return { request: outcome.request, response: outcome.parsed, output: outcome.output };
    },
    async exists(projectId, installation) {
      return (await findInstallationRow(deps.db, projectId, installation)) !== undefined;
    },
  };
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

/**
 * Each field's value for the app module: literals as stored, secret fields from the resolved values. A
 * name spelled in another case than declared (alias policy, S1) is found ignoring case.
 */
function configValues(
  config: Record<string, ConfigValue>,
  values: Record<string, SecretValue>,
): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === "string") {
      out[key] = value;
      continue;
    }
    const name = secretRefName(value.expr) ?? "";
    const found =
      values[name] ??
      Object.entries(values).find(([declared]) => declared.toLowerCase() === name.toLowerCase())?.[1];
    if (found === undefined) {
      throw new RunError(
        "secret_not_declared",
        `field ${key} names ${safe(name)}, which the installation does not declare`,
      );
    }
    if (typeof found !== "string") {
      throw new RunError(
        "invalid_secret_type",
        `field ${key} takes a token secret; ${safe(name)} is not one`,
      );
    }
    out[key] = found;
  }
  return out;
}
