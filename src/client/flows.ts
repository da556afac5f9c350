/** The client's flows (SPEC X4, API rows `.../flows`): a slice of `CloakroomClient` in a file of its own. */
import type { z } from "zod";
import type { flowInputSchema, flowSchema } from "../consumers/flow-schema.js";
import { type ItemAction, type ProjectCollection, projectCollection, type Request } from "./collection.js";
import type { RunLogEntry } from "./types.js";

export type Flow = z.output<typeof flowSchema>;
export type FlowStep = Flow["steps"][number];
/** What `POST`/`PUT .../flows` take: the flow without its id; defaults fill the rest. */
export type FlowInput = z.input<typeof flowInputSchema>;

export interface FlowsApi extends ProjectCollection<Flow, FlowInput> {
  /** Runs the flow once, now: its redacted run-log entry, with `steps` and any `warnings`. */
  test: ItemAction<RunLogEntry>;
}

export function flowsApi(request: Request): FlowsApi {
  const flows = projectCollection<Flow, FlowInput>(request, "flows");
  return { ...flows.api, test: flows.action("test") };
}
