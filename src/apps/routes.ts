/** HTTP routes of the app catalog and installations (SPEC API contract). Thin: parse, one call, answer. */
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
  const { installations, runAction, auth } = deps;
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
      method: "GET",
      url: path,
      summary: "List the project's app installations",
      tags,
      params: projectParams,
      responses: { 200: installationListSchema },
      async handler({ params, ctx }) {
        const r = await projectRequest(auth, ctx, params);
        return ok({ installations: await installations.list(r) });
      },
    }),
    defineRoute({
      method: "POST",
      url: path,
      summary: "Install an app: its secret fields take secrets.NAME of a declared secret",
      tags,
      params: projectParams,
      body: installationInputSchema,
      responses: { 201: installationSchema },
      async handler({ params, body, ctx }) {
        return created(await installations.create(await projectRequest(auth, ctx, params), body));
      },
    }),
    defineRoute({
      method: "GET",
      url: `${path}/:name`,
      summary: "Read an installation",
      tags,
      params: installationParams,
      responses: { 200: installationSchema },
      async handler({ params, ctx }) {
        return ok(await installations.get(await projectRequest(auth, ctx, params), params.name));
      },
    }),
    defineRoute({
      method: "PUT",
      url: `${path}/:name`,
      summary: "Replace an installation (its name stays)",
      tags,
      params: installationParams,
      body: installationInputSchema,
      responses: { 200: installationSchema },
      async handler({ params, body, ctx }) {
        const r = await projectRequest(auth, ctx, params);
        return ok(await installations.update(r, params.name, body));
      },
    }),
    defineRoute({
      method: "DELETE",
      url: `${path}/:name`,
      summary: "Delete an installation (the usage counts of its secrets drop at once)",
      tags,
      params: installationParams,
      responses: { 204: null },
      async handler({ params, ctx }) {
        await installations.remove(await projectRequest(auth, ctx, params), params.name);
        return noContent();
      },
    }),
    defineRoute({
      method: "POST",
      url: `${path}/:name/actions/:action`,
      summary: "Run an installation's action once, now, and answer its redacted run-log entry",
      tags,
      params: actionParams,
      body: actionBody,
      responses: { 200: runLogEntrySchema },
      async handler({ params, body, ctx }) {
        const r = await projectRequest(auth, ctx, params);
        return ok(await runAction(r, params.name, params.action, body));
      },
    }),
  ];
}
