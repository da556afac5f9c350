/** The client's flows (SPEC X4, API rows `.../flows`): a slice of `CloakroomClient` in a file of its own. */
import type { z } from "zod";
import type { flowInputSchema, flowSchema } from "../consumers/flow-schema.js";
import type { ProjectScope, RunInput, RunLogEntry } from "./types.js";

export type Flow = z.output<typeof flowSchema>;
export type FlowStep = Flow["steps"][number];
/** What `POST`/`PUT .../flows` take: the flow without its id; defaults fill the rest. */
export type FlowInput = z.input<typeof flowInputSchema>;

export interface FlowsApi {
  list(scope: ProjectScope): Promise<Flow[]>;
  get(scope: ProjectScope, id: string): Promise<Flow>;
  create(scope: ProjectScope, input: FlowInput): Promise<Flow>;
  update(scope: ProjectScope, id: string, input: FlowInput): Promise<Flow>;
  delete(scope: ProjectScope, id: string): Promise<void>;
  /** Runs the flow once, now: its redacted run-log entry, with `steps` and any `warnings`. */
  test(scope: ProjectScope, id: string, input?: RunInput): Promise<RunLogEntry>;
}

type Request = <T>(method: string, path: string, req?: { body?: unknown }) => Promise<T>;

export function flowsApi(
  request: Request,
  projectPath: (scope: ProjectScope) => string,
  list: <T>(body: unknown, key: string) => T[],
): FlowsApi {
  const path = (scope: ProjectScope, id?: string) =>
    `${projectPath(scope)}/flows${id === undefined ? "" : `/${encodeURIComponent(id)}`}`;
  return {
    list: async (scope) => list<Flow>(await request("GET", path(scope)), "flows"),
    get: (scope, id) => request("GET", path(scope, id)),
    create: (scope, input) => request("POST", path(scope), { body: input }),
    update: (scope, id, input) => request("PUT", path(scope, id), { body: input }),
    delete: async (scope, id) => {
      await request("DELETE", path(scope, id));
    },
    test: (scope, id, input = {}) => request("POST", `${path(scope, id)}/test`, { body: input }),
  };
}
