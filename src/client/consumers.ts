/** The client's integrations and logic functions (SPEC X1-X3): two project collections that run on demand. */
import { type ItemAction, type ProjectCollection, projectCollection, type Request } from "./collection.js";
import type {
  Integration,
  IntegrationInput,
  LogicFunction,
  LogicFunctionInput,
  RunLogEntry,
} from "./types.js";

export interface IntegrationsApi extends ProjectCollection<Integration, IntegrationInput> {
  /** Sends a test event through the integration now: its redacted run-log entry. */
  test: ItemAction<RunLogEntry>;
}

export interface LogicApi extends ProjectCollection<LogicFunction, LogicFunctionInput> {
  /** Runs the function on a test event now: its redacted run-log entry. */
  run: ItemAction<RunLogEntry>;
}

export function integrationsApi(request: Request): IntegrationsApi {
  const integrations = projectCollection<Integration, IntegrationInput>(request, "integrations");
  return { ...integrations.api, test: integrations.action("test") };
}

export function logicApi(request: Request): LogicApi {
  const logic = projectCollection<LogicFunction, LogicFunctionInput>(request, "logic");
  return { ...logic.api, run: logic.action("run") };
}
