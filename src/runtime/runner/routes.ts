/** HTTP routes of events, on-demand runs and run logs (SPEC API contract). Thin: parse, one call, answer. */
import { type OrgAuth, projectRequest } from "../../consumers/routes.js";
import { accepted, defineRoute, ok, type RouteDef } from "../../http/route.js";
import {
  consumerParams,
  logsAnswer,
  logsQuery,
  projectParams,
  publishAnswer,
  publishEventBody,
  runLogEntrySchema,
  runNowBody,
} from "./schema.js";
import type { RunnerService } from "./service.js";

const base = "/v1/orgs/:org/projects/:project";

export function runnerRoutes(deps: { runner: RunnerService; auth: OrgAuth }): RouteDef[] {
  const { runner, auth } = deps;
  return [
    defineRoute({
      method: "POST",
      url: `${base}/events`,
      summary: "Publish an event; each enabled consumer whose event filter is a prefix of its name runs",
      tags: ["events"],
      params: projectParams,
      body: publishEventBody,
      responses: { 202: publishAnswer },
      async handler({ params, body, ctx }) {
        const { id } = await runner.publish(await projectRequest(auth, ctx, params), body);
        return accepted({ id });
      },
    }),
    defineRoute({
      method: "POST",
      url: `${base}/integrations/:id/test`,
      summary: "Deliver an integration's request once, now, and answer its redacted run-log entry",
      tags: ["integrations"],
      params: consumerParams,
      body: runNowBody,
      responses: { 200: runLogEntrySchema },
      async handler({ params, body, ctx }) {
        return ok(
          await runner.runNow(await projectRequest(auth, ctx, params), "integration", params.id, body),
        );
      },
    }),
    defineRoute({
      method: "POST",
      url: `${base}/logic/:id/run`,
      summary: "Run a logic function once, now, and answer its redacted run-log entry",
      tags: ["logic"],
      params: consumerParams,
      body: runNowBody,
      responses: { 200: runLogEntrySchema },
      async handler({ params, body, ctx }) {
        return ok(await runner.runNow(await projectRequest(auth, ctx, params), "logic", params.id, body));
      },
    }),
    defineRoute({
      method: "POST",
      url: `${base}/flows/:id/test`,
      summary: "Run a flow once, now, and answer its redacted run-log entry with its steps",
      tags: ["flows"],
      params: consumerParams,
      body: runNowBody,
      responses: { 200: runLogEntrySchema },
      async handler({ params, body, ctx }) {
        return ok(await runner.runNow(await projectRequest(auth, ctx, params), "flow", params.id, body));
      },
    }),
    defineRoute({
      method: "GET",
      url: `${base}/logs`,
      summary: "Run logs of the project, newest first; every string is already redacted",
      tags: ["logs"],
      params: projectParams,
      query: logsQuery,
      responses: { 200: logsAnswer },
      async handler({ params, query, ctx }) {
        return ok(await runner.logs(await projectRequest(auth, ctx, params), query));
      },
    }),
  ];
}
