/** HTTP routes of the app catalog and installations (SPEC API contract). Thin: parse, one call, answer. */
import type { RequestContext } from "../caller.js";
import { type OrgAuth, projectRequest } from "../consumers/routes.js";
import { projectParams } from "../consumers/schema.js";
import { created, defineRoute, noContent, ok, type RouteDef } from "../http/route.js";
import { runLogEntrySchema } from "../runtime/runner/schema.js";
import type { RunAction } from "./run.js";
import {
  actionBody,
  actionParams,
  catalogSchema,
  installationInputSchema,
  installationListSchema,
  installationParams,
  installationSchema,
} from "./schema.js";
import { catalogView, type InstallationsService } from "./service.js";

const path = "/v1/orgs/:org/projects/:project/installations";
const tags = ["installations"];

export function appsRoutes(deps: {
  installations: InstallationsService;
  runAction: RunAction;
  auth: OrgAuth;
}): RouteDef[] {
  const { installations, runAction } = deps;
  const enter = (ctx: RequestContext, params: { org: string; project: string }) =>
    projectRequest(deps.auth, ctx, params);
  /** What the routes on the project's installations, and on one of them, share. */
  const all = { url: path, tags, params: projectParams };
  const one = { url: `${path}/:name`, tags, params: installationParams };
  return [
    defineRoute({
      method: "GET",
      url: "/v1/apps",
      summary: "The app catalog: each app's configuration fields and actions",
      tags: ["apps"],
      responses: { 200: catalogSchema },
      handler: async () => ok(catalogView()),
    }),
    defineRoute({
      ...all,
      method: "GET",
      summary: "List the project's app installations",
      responses: { 200: installationListSchema },
      handler: async ({ params, ctx }) =>
        ok({ installations: await installations.list(await enter(ctx, params)) }),
    }),
    defineRoute({
      ...all,
      method: "POST",
      summary: "Install an app: its secret fields take secrets.NAME of a declared secret",
      body: installationInputSchema,
      responses: { 201: installationSchema },
      handler: async ({ params, body, ctx }) =>
        created(await installations.create(await enter(ctx, params), body)),
    }),
    defineRoute({
      ...one,
      method: "GET",
      summary: "Read an installation, with the flows that use it (usedBy)",
      responses: { 200: installationSchema },
      handler: async ({ params, ctx }) => ok(await installations.get(await enter(ctx, params), params.name)),
    }),
    defineRoute({
      ...one,
      body: installationInputSchema,
      responses: { 200: installationSchema },
      method: "PUT",
      summary: "Replace an installation (its name stays)",
      handler: async ({ params, body, ctx }) =>
        ok(await installations.update(await enter(ctx, params), params.name, body)),
    }),
    defineRoute({
      ...one,
      method: "DELETE",
      summary: "Delete an installation no flow uses (the usage counts of its secrets drop at once)",
      responses: { 204: null },
      async handler({ params, ctx }) {
        await installations.remove(await enter(ctx, params), params.name);
        return noContent();
      },
    }),
    defineRoute({
      ...one,
      url: `${path}/:name/actions/:action`,
      params: actionParams,
      method: "POST",
      summary: "Run an installation's action once, now, and answer its redacted run-log entry",
      body: actionBody,
      responses: { 200: runLogEntrySchema },
      handler: async ({ params, body, ctx }) =>
        ok(await runAction(await enter(ctx, params), params.name, params.action, body)),
    }),
  ];
}
