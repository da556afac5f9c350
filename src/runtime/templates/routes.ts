/** HTTP routes of message templates beyond their life cycle (SPEC API contract): preview, test, macros. */
import { type OrgAuth, projectRequest } from "../../consumers/routes.js";
import { macrosAnswer, previewAnswer, templateInputSchema } from "../../consumers/template-schema.js";
import { defineRoute, ok, type RouteDef } from "../../http/route.js";
import { consumerParams, projectParams, runLogEntrySchema, runNowBody } from "../runner/schema.js";
import type { RunnerService } from "../runner/service.js";
import type { TemplatesService } from "./service.js";

const base = "/v1/orgs/:org/projects/:project";

export function templatesRoutes(deps: {
  templates: TemplatesService;
  runner: Pick<RunnerService, "runNow">;
  auth: OrgAuth;
}): RouteDef[] {
  const { templates, runner, auth } = deps;
  return [
    defineRoute({
      method: "POST",
      url: `${base}/templates/preview`,
      summary:
        "Render an unsaved template (the console's live preview) with [[SENSITIVE]] for every secret; nothing is stored and no value is read",
      tags: ["templates"],
      params: projectParams,
      body: runNowBody.unwrap().extend({ template: templateInputSchema }),
      responses: { 200: previewAnswer },
      async handler({ params, body, ctx }) {
        return ok(await templates.previewDraft(await projectRequest(auth, ctx, params), body));
      },
    }),
    defineRoute({
      method: "POST",
      url: `${base}/templates/:id/preview`,
      summary: "Render a template's subject and body with [[SENSITIVE]] for every secret; no value is read",
      tags: ["templates"],
      params: consumerParams,
      body: runNowBody,
      responses: { 200: previewAnswer },
      async handler({ params, body, ctx }) {
        return ok(await templates.preview(await projectRequest(auth, ctx, params), params.id, body));
      },
    }),
    defineRoute({
      method: "POST",
      url: `${base}/templates/:id/test`,
      summary: "Send a template's message once, now, and answer its redacted run-log entry",
      tags: ["templates"],
      params: consumerParams,
      body: runNowBody,
      responses: { 200: runLogEntrySchema },
      async handler({ params, body, ctx }) {
        return ok(await runner.runNow(await projectRequest(auth, ctx, params), "template", params.id, body));
      },
    }),
    defineRoute({
      method: "GET",
      url: `${base}/macros`,
      summary: "The macros a project's templates may use, by category (Secrets, Event); names only",
      tags: ["templates"],
      params: projectParams,
      responses: { 200: macrosAnswer },
      async handler({ params, ctx }) {
        return ok({ macros: await templates.macros(await projectRequest(auth, ctx, params)) });
      },
    }),
  ];
}
